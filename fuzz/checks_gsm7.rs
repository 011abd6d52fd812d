//! Fuzz target `gsm7`: any bytes through the text decoders, under every `data_coding`, default
//! alphabet, national table pair and fill bits, picked from the input's first four octets.
//!
//! Octet 0 is the `data_coding`; octet 1 gives the bind's default alphabet (bits 0..1) and the fill
//! bits (bits 2..4, 0..7); octets 2 and 3 are the locking- and single-shift language ids (0 for
//! none; unknown ids must fall back to the default tables). The rest is the payload.
//!
//! Checks: nothing panics; text that decodes also plans and costs (with the two languages of
//! octets 2 and 3 allowed); and where the decoded text
//! encodes again under the same settings, it decodes back to itself (packed GSM text ending in CR
//! aside: TS 23.038 §6.1.2.3.1 makes a final CR CR ambiguous).

use smpp_codec::coding::{self, DefaultAlphabet, Encoding, GsmTables, NationalLanguage};

fn id(octet: u8) -> Option<u8> {
    (octet != 0).then_some(octet)
}

/// The target's checks on one input.
pub fn check(data: &[u8]) {
    let [data_coding, mode, locking, single, payload @ ..] = data else {
        return;
    };
    let default = [
        DefaultAlphabet::GsmUnpacked,
        DefaultAlphabet::GsmPacked,
        DefaultAlphabet::Latin1,
        DefaultAlphabet::Ascii,
    ][usize::from(mode & 3)];
    let fill = (mode >> 2) & 7;
    let national = GsmTables::from_ids(id(*locking), id(*single));

    // Every decoder on its own, whatever the settings say.
    let _ = coding::gsm7::decode(payload, national);
    let septets = coding::gsm7::unpack_all(payload, fill);
    let _ = coding::gsm7::decode(&septets, national);
    let _ = coding::gsm7::unpack(payload, fill, payload.len());
    let _ = coding::ucs2::decode(payload);
    let _ = coding::ucs2::decode_strict(payload);
    let _ = coding::latin1::decode(payload);
    let _ = coding::ascii::decode(payload);

    let Ok(text) = coding::decode_text(payload, *data_coding, default, national, fill) else {
        return;
    };
    let allowed: Vec<NationalLanguage> = [*locking, *single]
        .into_iter()
        .filter_map(NationalLanguage::from_id)
        .collect();
    let choice = coding::choose(&text, &allowed);
    assert!(choice.segments >= 1);
    let parts = coding::plan_parts(&text, &choice.encoding, 6);
    assert_eq!(parts.first().map(|r| r.start), Some(0));
    assert_eq!(parts.last().map(|r| r.end), Some(text.len()));
    let _ = coding::translit::to_gsm(&text);

    if let Ok(again) = coding::encode_text(&text, *data_coding, default, national, fill) {
        let packed_gsm = matches!(
            coding::Dcs::interpret(*data_coding, default).alphabet,
            coding::Alphabet::Gsm7 { packed: true }
        );
        if !(packed_gsm && text.ends_with('\r')) {
            let back = coding::decode_text(&again, *data_coding, default, national, fill)
                .expect("re-encoded text decodes");
            assert_eq!(back, text);
        }
    }
    if let Ok(bytes) = coding::encode(&text, &Encoding::Ucs2) {
        assert_eq!(coding::decode(&bytes, &Encoding::Ucs2).unwrap(), text);
    }
}
