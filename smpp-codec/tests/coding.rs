//! Text coding: every table character round trips (unpacked and packed, fill bits 0..6), TS 23.038
//! / 23.040 vectors, segment counts at the carriers' boundaries, and `plan_parts` never splitting
//! an escape or surrogate pair.

use proptest::prelude::*;
use smpp_codec::coding::{
    self, Choice, CodingError, DefaultAlphabet, Encoding, GsmTables, NationalLanguage,
    NationalShift, gsm7, plan, translit, ucs2,
};

/// Every table combination: locking (default or a national one) x single shift (default or one).
fn all_tables() -> Vec<GsmTables> {
    let locking = std::iter::once(None).chain(
        NationalLanguage::ALL
            .into_iter()
            .filter(|l| l.has_locking_shift())
            .map(Some),
    );
    let mut out = Vec::new();
    for lock in locking {
        for single in std::iter::once(None).chain(NationalLanguage::ALL.into_iter().map(Some)) {
            out.push(GsmTables {
                locking: lock,
                single,
            });
        }
    }
    out
}

/// The characters `tables` can write: those of the main table and of the shift table.
fn chars_of(tables: GsmTables) -> Vec<char> {
    let mut v = Vec::new();
    for code in 0..128u8 {
        let main = match tables.locking {
            Some(l) if l.has_locking_shift() => l.locking_char(code),
            _ => gsm7::default_char(code),
        };
        let shift = match tables.single {
            Some(l) => l.single_shift_char(code),
            None => gsm7::extension_char(code),
        };
        v.extend(main);
        v.extend(shift);
    }
    v
}

/// A reference packer, bit by bit, with the CR rules of TS 23.038 §6.1.2.3.1.
fn naive_pack(septets: &[u8], fill: u8) -> Vec<u8> {
    if septets.is_empty() {
        return Vec::new();
    }
    let mut bits: Vec<bool> = vec![false; usize::from(fill)];
    let mut all = septets.to_vec();
    let total = bits.len() + 7 * all.len();
    if (total % 8 == 0 && all.last() == Some(&0x0D)) || total % 8 == 1 {
        all.push(0x0D);
    }
    for s in all {
        for i in 0..7 {
            bits.push(s >> i & 1 == 1);
        }
    }
    bits.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |o, (i, &b)| o | (u8::from(b) << i))
        })
        .collect()
}

fn round_trip(text: &str, tables: GsmTables) {
    let septets = gsm7::encode(text, tables).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    assert_eq!(gsm7::decode(&septets, tables).unwrap(), text, "{tables:?}");
    for fill in 0..=6u8 {
        let packed = gsm7::pack(&septets, fill);
        assert_eq!(packed, naive_pack(&septets, fill), "fill {fill}");
        assert_eq!(
            gsm7::unpack(&packed, fill, septets.len()).unwrap(),
            septets,
            "fill {fill}"
        );
        if !septets.ends_with(&[0x0D, 0x0D]) {
            assert_eq!(gsm7::unpack_all(&packed, fill), septets, "fill {fill}");
            let text_back =
                coding::decode_text(&packed, 0, DefaultAlphabet::GsmPacked, tables, fill).unwrap();
            assert_eq!(text_back, text, "fill {fill}");
        }
    }
}

#[test]
fn every_table_character_round_trips() {
    for tables in all_tables() {
        for c in chars_of(tables) {
            round_trip(&c.to_string(), tables);
        }
        // And all of them at once, so escape pairs sit at every bit offset.
        let all: String = chars_of(tables).into_iter().collect();
        round_trip(&all, tables);
    }
}

fn tables_strategy() -> impl Strategy<Value = GsmTables> {
    prop::sample::select(all_tables())
}

/// A table combination and a text written with its characters.
fn table_text() -> impl Strategy<Value = (GsmTables, String)> {
    tables_strategy().prop_flat_map(|t| {
        let chars = chars_of(t);
        (
            Just(t),
            prop::collection::vec(prop::sample::select(chars), 0..200)
                .prop_map(|v| v.into_iter().collect::<String>()),
        )
    })
}

proptest! {
    #[test]
    fn table_texts_round_trip((tables, text) in table_text()) {
        round_trip(&text, tables);
    }

    #[test]
    fn gsm_texts_round_trip(text in "[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,\\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà€\\[\\]{}\\\\^~|\u{0C}]{0,400}") {
        round_trip(&text, GsmTables::DEFAULT);
        let enc = Encoding::GSM7;
        let septets = coding::encode(&text, &enc).unwrap();
        prop_assert_eq!(septets.len(), plan::units(&text, &enc));
        prop_assert_eq!(coding::decode(&septets, &enc).unwrap(), text.as_str());
    }

    #[test]
    fn any_septets_pack_like_the_reference(septets in prop::collection::vec(0u8..128, 0..300), fill in 0u8..7) {
        let packed = gsm7::pack(&septets, fill);
        prop_assert_eq!(&packed, &naive_pack(&septets, fill));
        prop_assert_eq!(gsm7::unpack(&packed, fill, septets.len()).unwrap(), septets.clone());
        if !septets.ends_with(&[0x0D, 0x0D]) {
            prop_assert_eq!(gsm7::unpack_all(&packed, fill), septets);
        }
    }

    #[test]
    fn unicode_round_trips_through_ucs2(text in any::<String>()) {
        let bytes = ucs2::encode(&text);
        prop_assert_eq!(bytes.len(), 2 * ucs2::units(&text));
        prop_assert_eq!(ucs2::decode(&bytes), text.clone());
        prop_assert_eq!(ucs2::decode_strict(&bytes).unwrap(), text.clone());
        let back = coding::decode_text(&bytes, 0x08, DefaultAlphabet::GsmUnpacked, NationalShift::NONE, 0).unwrap();
        prop_assert_eq!(back, text.as_str());
    }

    #[test]
    fn decoding_anything_never_panics(
        payload in prop::collection::vec(any::<u8>(), 0..300),
        data_coding in any::<u8>(),
        default in 0usize..4,
        locking in prop::option::of(0u8..16),
        single in prop::option::of(0u8..16),
        fill in 0u8..8,
    ) {
        let default = [
            DefaultAlphabet::GsmUnpacked,
            DefaultAlphabet::GsmPacked,
            DefaultAlphabet::Latin1,
            DefaultAlphabet::Ascii,
        ][default];
        let national = GsmTables::from_ids(locking, single);
        if let Ok(text) = coding::decode_text(&payload, data_coding, default, national, fill) {
            // Whatever decoded can be planned and costed.
            let choice = coding::choose(&text, &NationalLanguage::ALL);
            prop_assert!(choice.segments >= 1);
        }
        let _ = ucs2::decode_strict(&payload);
        let _ = gsm7::unpack_all(&payload, fill);
        let _ = coding::decode(&payload, &Encoding::Gsm7(national));
    }

    /// `plan_parts` covers the text in order, fills each part as far as it goes, and never cuts an
    /// escape pair or a surrogate pair.
    #[test]
    fn plan_parts_never_splits_pairs(
        text in "[a-z €{ж😀şá\u{0915}]{0,400}",
        udh in prop::sample::select(vec![0usize, 6, 7, 9, 12]),
        enc in prop::sample::select(vec![
            Encoding::GSM7,
            Encoding::Gsm7(GsmTables { locking: Some(NationalLanguage::Turkish), single: Some(NationalLanguage::Spanish) }),
            Encoding::Gsm7(GsmTables { locking: None, single: Some(NationalLanguage::Hindi) }),
            Encoding::Ucs2,
            Encoding::Latin1,
            Encoding::Binary,
        ]),
    ) {
        let parts = coding::plan_parts(&text, &enc, udh);
        let cap = plan::capacity(&enc, udh);
        prop_assert!(!parts.is_empty());
        prop_assert_eq!(parts[0].start, 0);
        prop_assert_eq!(parts.last().unwrap().end, text.len());
        for w in parts.windows(2) {
            prop_assert_eq!(w[0].end, w[1].start);
        }
        let whole = coding::encode(&text, &enc).ok();
        let mut joined = Vec::new();
        for (i, r) in parts.iter().enumerate() {
            let part = &text[r.clone()];
            prop_assert!(!part.is_empty() || text.is_empty());
            prop_assert!(plan::units(part, &enc) <= cap);
            if let Some(next) = text[r.end..].chars().next() {
                // Greedy: the next character would not have fitted.
                prop_assert!(plan::units(part, &enc) + plan::units(&next.to_string(), &enc) > cap, "part {} not full", i);
            }
            if let Ok(bytes) = coding::encode(part, &enc) {
                match enc {
                    Encoding::Gsm7(t) => {
                        prop_assert!(bytes.len() <= cap);
                        prop_assert_eq!(gsm7::decode(&bytes, t).unwrap(), part);
                    }
                    Encoding::Ucs2 => {
                        prop_assert!(bytes.len() <= 2 * cap);
                        let units: Vec<u16> = bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
                        prop_assert!(!units.first().is_some_and(|u| (0xDC00..0xE000).contains(u)));
                        prop_assert!(!units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)));
                    }
                    _ => prop_assert!(bytes.len() <= cap),
                }
                joined.extend(bytes);
            }
        }
        if let Some(whole) = whole {
            prop_assert_eq!(joined, whole);
        }
    }
}

// ---- Vectors from TS 23.038 / TS 23.040 ----

#[test]
fn gsm_vectors() {
    let enc = Encoding::GSM7;
    assert_eq!(coding::encode("@", &enc).unwrap(), [0x00]);
    assert_eq!(coding::encode("€", &enc).unwrap(), [0x1B, 0x65]);
    assert_eq!(coding::encode("$_¤", &enc).unwrap(), [0x02, 0x11, 0x24]);
    let escapes = [
        ('\u{0C}', 0x0A),
        ('^', 0x14),
        ('{', 0x28),
        ('}', 0x29),
        ('\\', 0x2F),
        ('[', 0x3C),
        ('~', 0x3D),
        (']', 0x3E),
        ('|', 0x40),
        ('€', 0x65),
    ];
    for (c, code) in escapes {
        assert_eq!(
            coding::encode(&c.to_string(), &enc).unwrap(),
            [0x1B, code],
            "{c:?}"
        );
        assert_eq!(gsm7::extension_char(code), Some(c));
    }
    let septets = coding::encode("hellohello", &enc).unwrap();
    assert_eq!(
        gsm7::pack(&septets, 0),
        [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
    );
    assert_eq!(
        gsm7::pack(b"hello".as_slice(), 0),
        [0xE8, 0x32, 0x9B, 0xFD, 0x06]
    );
    // After a 6-octet concatenation UDH the text starts after 1 fill bit.
    assert_eq!(gsm7::fill_bits(6), 1);
    let after_udh = gsm7::pack(&septets, 1);
    assert_eq!(after_udh[0], 0xE8 << 1);
    assert_eq!(
        gsm7::unpack(&after_udh, 1, 10).unwrap(),
        septets,
        "hellohello after a UDH"
    );
    assert!(matches!(
        coding::encode("ж", &enc),
        Err(CodingError::Unencodable { ch: 'ж', .. })
    ));
}

#[test]
fn national_vectors() {
    let turkish_locking = GsmTables {
        locking: Some(NationalLanguage::Turkish),
        single: None,
    };
    let turkish_single = GsmTables {
        locking: None,
        single: Some(NationalLanguage::Turkish),
    };
    assert_eq!(gsm7::encode("ş", turkish_locking).unwrap(), [0x1D]);
    assert_eq!(gsm7::encode("ş", turkish_single).unwrap(), [0x1B, 0x73]);
    assert_eq!(turkish_locking.udh_ies(), vec![(0x25, 1)]);
    assert_eq!(turkish_single.udh_ies(), vec![(0x24, 1)]);
    // Decoding takes the language ids of the UDH.
    let udh = [3, 0x24, 1, 1];
    let tables = GsmTables::from_udh(&udh);
    assert_eq!(
        coding::decode_text(&[0x1B, 0x73], 0, DefaultAlphabet::GsmUnpacked, tables, 0).unwrap(),
        "ş"
    );
    let hindi = GsmTables {
        locking: Some(NationalLanguage::Hindi),
        single: None,
    };
    assert_eq!(
        gsm7::encode("\u{0928}\u{092E}\u{0938}\u{094D}\u{0924}\u{0947}", hindi).unwrap(),
        [0x2F, 0x42, 0x4C, 0x5F, 0x27, 0x59]
    );
}

#[test]
fn ucs2_vectors() {
    assert_eq!(
        coding::encode("😀", &Encoding::Ucs2).unwrap(),
        [0xD8, 0x3D, 0xDE, 0x00]
    );
    assert_eq!(
        coding::encode("Hi", &Encoding::Ucs2).unwrap(),
        [0, 0x48, 0, 0x69]
    );
    assert_eq!(
        coding::decode_text(
            &[0xD8, 0x3D],
            0x08,
            DefaultAlphabet::GsmUnpacked,
            NationalShift::NONE,
            0
        )
        .unwrap(),
        "\u{FFFD}"
    );
    assert!(matches!(
        ucs2::decode_strict(&[0xD8, 0x3D]),
        Err(CodingError::LoneSurrogate {
            unit: 0xD83D,
            offset: 0
        })
    ));
}

// ---- Segment counts at the carriers' boundaries ----

fn seg(text: &str, enc: Encoding) -> usize {
    coding::segments(text, &enc)
}

#[test]
fn ascii_segments() {
    let gsm = Encoding::GSM7;
    for (n, parts) in [
        (0, 1),
        (1, 1),
        (160, 1),
        (161, 2),
        (306, 2),
        (307, 3),
        (459, 3),
        (460, 4),
    ] {
        let text = "a".repeat(n);
        assert_eq!(seg(&text, gsm), parts, "{n} septets");
        let c = coding::choose(&text, &[]);
        assert_eq!((c.encoding, c.segments, c.units), (gsm, parts, n));
        assert!(c.unencodable.is_empty());
    }
    // Latin-1 / binary count octets: 140, then 134 per part.
    assert_eq!(seg(&"a".repeat(140), Encoding::Latin1), 1);
    assert_eq!(seg(&"a".repeat(141), Encoding::Latin1), 2);
    assert_eq!(seg(&"a".repeat(268), Encoding::Binary), 2);
    assert_eq!(seg(&"a".repeat(269), Encoding::Binary), 3);
}

#[test]
fn escaped_segments() {
    let gsm = Encoding::GSM7;
    // Single part: 160 septets, escapes counting 2.
    assert_eq!(seg(&"€".repeat(80), gsm), 1);
    assert_eq!(seg(&format!("{}€", "a".repeat(158)), gsm), 1);
    assert_eq!(seg(&format!("{}€", "a".repeat(159)), gsm), 2);
    // Multi-part: 153 septets a part, and an escape pair is never split.
    assert_eq!(seg(&format!("{}€", "a".repeat(304)), gsm), 2); // 306 septets
    assert_eq!(seg(&format!("{}€", "a".repeat(305)), gsm), 3); // 307 septets
    // 152 a + € = 154 septets in a multi-part message: the € moves to the next part.
    let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
    let parts = coding::plan_parts(&text, &gsm, 6);
    assert_eq!(parts, vec![0..152, 152..165]);
    // 153 € = 306 septets, yet 3 parts: 76 € fill a part (152 septets), a 77th would not fit.
    assert_eq!(seg(&"€".repeat(153), gsm), 3);
    assert_eq!(seg(&"€".repeat(152), gsm), 2);
    let c = coding::choose(&"€".repeat(153), &[]);
    assert_eq!((c.segments, c.units), (3, 306));
}

#[test]
fn ucs2_segments() {
    let u = Encoding::Ucs2;
    for (n, parts) in [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)] {
        let text = "ж".repeat(n);
        assert_eq!(seg(&text, u), parts, "{n} units");
        let c = coding::choose(&text, &NationalLanguage::ALL);
        assert_eq!((c.encoding, c.segments, c.units), (u, parts, n));
        assert_eq!(c.unencodable, vec!['ж']);
    }
}

#[test]
fn emoji_segments() {
    let u = Encoding::Ucs2;
    // An emoji outside the BMP costs 2 units.
    assert_eq!(seg(&"😀".repeat(35), u), 1); // 70 units
    assert_eq!(seg(&format!("{}a", "😀".repeat(35)), u), 2); // 71 units
    let c = coding::choose(&format!("Hi {}", "😀"), &[]);
    assert_eq!(
        (c.encoding, c.units, c.unencodable.clone()),
        (u, 5, vec!['😀'])
    );
    // 66 units, then an emoji that straddles the 67-unit boundary: it moves to part 2, so
    // 134 units take 3 parts, not 2.
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
    assert_eq!(ucs2::units(&text), 134);
    let parts = coding::plan_parts(&text, &u, 6);
    assert_eq!(parts, vec![0..132, 132..266, 266..268]);
    assert_eq!(seg(&text, u), 3);
    // Without the straddle, 134 units are 2 parts.
    assert_eq!(
        seg(&format!("{}😀{}", "ж".repeat(65), "ж".repeat(67)), u),
        2
    );
}

#[test]
fn turkish_segments() {
    let turkish = [NationalLanguage::Turkish];
    let locking = Encoding::Gsm7(GsmTables {
        locking: Some(NationalLanguage::Turkish),
        single: None,
    });
    // A 4-octet UDH (UDHL + IE 0x25) leaves 155 septets; with the concatenation IE, 149.
    for (n, parts) in [(155, 1), (156, 2), (298, 2), (299, 3)] {
        let text = "ş".repeat(n);
        let c = coding::choose(&text, &turkish);
        assert_eq!(
            c,
            Choice {
                encoding: locking,
                segments: parts,
                units: n,
                unencodable: vec![]
            },
            "{n}"
        );
        assert_eq!(seg(&text, locking), parts);
    }
    // Without Turkish allowed, ş forces UCS-2 and is reported.
    let c = coding::choose("Merhaba dünya, şimdi", &[]);
    assert_eq!(c.encoding, Encoding::Ucs2);
    assert_eq!(c.unencodable, vec!['ş']);
    // Mixing ş (Turkish locking) and á (Spanish single shift): both IEs, 152 / 146 septets.
    let both = Encoding::Gsm7(GsmTables {
        locking: Some(NationalLanguage::Turkish),
        single: Some(NationalLanguage::Spanish),
    });
    assert_eq!(both.udh_ies(), vec![(0x25, 1), (0x24, 2)]);
    let allowed = [NationalLanguage::Turkish, NationalLanguage::Spanish];
    let text = format!("ş{}", "á".repeat(75)); // 151 septets
    let c = coding::choose(&text, &allowed);
    assert_eq!((c.encoding, c.segments, c.units), (both, 1, 151));
    let text = format!("şa{}", "á".repeat(75)); // 152 septets
    assert_eq!(coding::choose(&text, &allowed).segments, 1);
    let text = format!("şaa{}", "á".repeat(75)); // 153 septets
    assert_eq!(coding::choose(&text, &allowed).segments, 2);
    // Spanish alone: single shift, 2 septets per á.
    let c = coding::choose(&"á".repeat(77), &[NationalLanguage::Spanish]);
    assert_eq!(c.segments, 1);
    assert_eq!(c.units, 154);
    assert_eq!(
        coding::choose(&"á".repeat(78), &[NationalLanguage::Spanish]).segments,
        2
    );
}

#[test]
fn national_is_chosen_only_when_cheaper() {
    // Hindi in its locking-shift table: 1 septet a letter.
    let text = "\u{0928}\u{092E}\u{0938}\u{094D}\u{0924}\u{0947}";
    let c = coding::choose(text, &[NationalLanguage::Hindi]);
    assert_eq!(
        c.encoding,
        Encoding::Gsm7(GsmTables {
            locking: Some(NationalLanguage::Hindi),
            single: None
        })
    );
    assert_eq!(c.units, 6);
    // Plain GSM text never takes a national table.
    assert_eq!(
        coding::choose("Hello", &NationalLanguage::ALL).encoding,
        Encoding::GSM7
    );
}

#[test]
fn transliteration_keeps_gsm() {
    let text = "\u{201C}Sale\u{201D} \u{2013} 50% off\u{2026}";
    assert_eq!(coding::choose(text, &[]).encoding, Encoding::Ucs2);
    let t = translit::to_gsm(text);
    assert_eq!(t, "\"Sale\" - 50% off...");
    assert_eq!(coding::choose(&t, &[]).encoding, Encoding::GSM7);
}
