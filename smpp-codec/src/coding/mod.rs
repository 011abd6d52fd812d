//! Text encodings of SMS: GSM 03.38 (with national tables), UCS-2, Latin-1, ASCII, binary; encoding choice and segment counting.
