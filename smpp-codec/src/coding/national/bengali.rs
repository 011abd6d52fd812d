//! The Bengali national language tables of 3GPP TS 23.038 Annex A: locking shift A.3.4, single shift A.2.4.

use crate::coding::gsm7::{NA, Table};

/// Bengali locking-shift table (TS 23.038 A.3.4); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static LOCKING: Table = Table::new([
    /* 0x00 */ '\u{0981}', '\u{0982}', '\u{0983}', '\u{0985}', '\u{0986}', '\u{0987}', '\u{0988}', '\u{0989}', '\u{098A}', '\u{098B}', '\n', '\u{098C}', NA, '\r', NA, '\u{098F}',
    /* 0x10 */ '\u{0990}', NA, NA, '\u{0993}', '\u{0994}', '\u{0995}', '\u{0996}', '\u{0997}', '\u{0998}', '\u{0999}', '\u{099A}', NA, '\u{099B}', '\u{099C}', '\u{099D}', '\u{099E}',
    /* 0x20 */ ' ', '!', '\u{099F}', '\u{09A0}', '\u{09A1}', '\u{09A2}', '\u{09A3}', '\u{09A4}', ')', '(', '\u{09A5}', '\u{09A6}', ',', '\u{09A7}', '.', '\u{09A8}',
    /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', NA, '\u{09AA}', '\u{09AB}', '?',
    /* 0x40 */ '\u{09AC}', '\u{09AD}', '\u{09AE}', '\u{09AF}', '\u{09B0}', NA, '\u{09B2}', NA, NA, NA, '\u{09B6}', '\u{09B7}', '\u{09B8}', '\u{09B9}', '\u{09BC}', '\u{09BD}',
    /* 0x50 */ '\u{09BE}', '\u{09BF}', '\u{09C0}', '\u{09C1}', '\u{09C2}', '\u{09C3}', '\u{09C4}', NA, NA, '\u{09C7}', '\u{09C8}', NA, NA, '\u{09CB}', '\u{09CC}', '\u{09CD}',
    /* 0x60 */ '\u{09CE}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '\u{09D7}', '\u{09DC}', '\u{09DD}', '\u{09F0}', '\u{09F1}',
]);

/// Bengali single-shift table (TS 23.038 A.2.4); `NA` where a code has no character.
#[rustfmt::skip]
pub(crate) static SINGLE: Table = Table::new([
    /* 0x00 */ '@', '£', '$', '¥', '¿', '"', '¤', '%', '&', '\'', '\u{0C}', '*', '+', NA, '-', '/',
    /* 0x10 */ '<', '=', '>', '¡', '^', '¡', '_', '#', '*', '\u{09E6}', '\u{09E7}', NA, '\u{09E8}', '\u{09E9}', '\u{09EA}', '\u{09EB}',
    /* 0x20 */ '\u{09EC}', '\u{09ED}', '\u{09EE}', '\u{09EF}', '\u{09DF}', '\u{09E0}', '\u{09E1}', '\u{09E2}', '{', '}', '\u{09E3}', '\u{09F2}', '\u{09F3}', '\u{09F4}', '\u{09F5}', '\\',
    /* 0x30 */ '\u{09F6}', '\u{09F7}', '\u{09F8}', '\u{09F9}', '\u{09FA}', NA, NA, NA, NA, NA, NA, NA, '[', '~', ']', NA,
    /* 0x40 */ '|', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', NA, NA, NA, NA, NA,
    /* 0x60 */ NA, NA, NA, NA, NA, '€', NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
    /* 0x70 */ NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA,
]);
