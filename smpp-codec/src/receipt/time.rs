//! `ReceiptTime`: the `submit date:` / `done date:` stamps of receipt texts (SMPP 3.4
//! Appendix B), parsed and range-checked without a calendar crate, and written back.

use std::fmt;

/// Why a receipt date could not be read, or a [`ReceiptTime`] not built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not 10 (`YYMMDDhhmm`), 12 (`YYMMDDhhmmss`) or 14 (`YYYYMMDDhhmmss`) characters.
    #[error(
        "a receipt date has 10 (YYMMDDhhmm), 12 (YYMMDDhhmmss) or 14 (YYYYMMDDhhmmss) digits, got {len} characters"
    )]
    Length {
        /// Length found, in octets.
        len: usize,
    },
    /// A character other than an ASCII digit.
    #[error("a receipt date must be digits only")]
    NotDigits,
    /// A component outside its range (month 1–12, day within the month, hour 0–23, minute and
    /// second 0–59, year 0–9999).
    #[error("{field} {value} is out of range")]
    OutOfRange {
        /// `year`, `month`, `day`, `hour`, `minute` or `second`.
        field: &'static str,
        /// The value found.
        value: u16,
    },
}

/// A receipt's date and time, to the second (seconds are 0 when the text has 10 digits). No time
/// zone: receipt texts carry none (it is the MC's local time, by convention).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptTime {
    /// Full year. Two-digit years follow SMPP 3.4 Appendix C's default rollover `xx38`:
    /// 00–37 are 2000–2037, 38–99 are 1938–1999 (see [`ReceiptTime::parse_with_rollover`]).
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–28/29/30/31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

/// SMPP 3.4 Appendix C: two-digit years below this are 20xx, the others 19xx.
pub const DEFAULT_ROLLOVER: u8 = 38;

fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn range(field: &'static str, value: u16, lo: u16, hi: u16) -> Result<(), DateError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(DateError::OutOfRange { field, value })
    }
}

impl ReceiptTime {
    /// A time from its components, range-checked.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<ReceiptTime, DateError> {
        range("year", year, 0, 9999)?;
        range("month", month.into(), 1, 12)?;
        range("day", day.into(), 1, days_in_month(year, month).into())?;
        range("hour", hour.into(), 0, 23)?;
        range("minute", minute.into(), 0, 59)?;
        range("second", second.into(), 0, 59)?;
        Ok(ReceiptTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// Parses `YYMMDDhhmm`, `YYMMDDhhmmss` or `YYYYMMDDhhmmss`, two-digit years with the default
    /// rollover (00–37 are 20xx, 38–99 are 19xx).
    pub fn parse(s: &str) -> Result<ReceiptTime, DateError> {
        ReceiptTime::parse_with_rollover(s, DEFAULT_ROLLOVER)
    }

    /// Like [`parse`](Self::parse), with another century rollover for two-digit years: those
    /// below `rollover` are 20xx, the others 19xx (`rollover` 100 makes every year 20xx).
    pub fn parse_with_rollover(s: &str, rollover: u8) -> Result<ReceiptTime, DateError> {
        let b = s.as_bytes();
        if !matches!(b.len(), 10 | 12 | 14) {
            return Err(DateError::Length { len: b.len() });
        }
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(DateError::NotDigits);
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let (year, rest) = if b.len() == 14 {
            (u16::from(two(0)) * 100 + u16::from(two(2)), 4)
        } else {
            let yy = two(0);
            let century = if yy < rollover { 2000 } else { 1900 };
            (century + u16::from(yy), 2)
        };
        let second = if b.len() == 10 { 0 } else { two(rest + 8) };
        ReceiptTime::new(
            year,
            two(rest),
            two(rest + 2),
            two(rest + 4),
            two(rest + 6),
            second,
        )
    }

    /// `YYMMDDhhmm` (SMPP 3.4 Appendix B): the year modulo 100, seconds dropped.
    pub fn to_yymmddhhmm(&self) -> String {
        format!(
            "{:02}{:02}{:02}{:02}{:02}",
            self.year % 100,
            self.month,
            self.day,
            self.hour,
            self.minute
        )
    }

    /// `YYMMDDhhmmss`: the year modulo 100.
    pub fn to_yymmddhhmmss(&self) -> String {
        format!("{}{:02}", self.to_yymmddhhmm(), self.second)
    }
}

impl fmt::Display for ReceiptTime {
    /// ISO 8601 without zone: `2024-02-29T13:05:09`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A date field of a receipt text: the raw text, and what it parsed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptDate<'a> {
    /// The text as received.
    pub raw: &'a str,
    /// The parsed time (default rollover), or why it is not one. A bad date does not make the
    /// receipt unreadable.
    pub time: Result<ReceiptTime, DateError>,
}

impl<'a> ReceiptDate<'a> {
    /// Parses `raw` (see [`ReceiptTime::parse`]).
    pub fn parse(raw: &'a str) -> ReceiptDate<'a> {
        ReceiptDate {
            raw,
            time: ReceiptTime::parse(raw),
        }
    }

    /// The time, when the text was a valid date.
    pub fn time(&self) -> Option<ReceiptTime> {
        self.time.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_ranges() {
        let t = ReceiptTime::parse("2402291305").unwrap();
        assert_eq!(t, ReceiptTime::new(2024, 2, 29, 13, 5, 0).unwrap());
        assert_eq!(t.to_yymmddhhmm(), "2402291305");
        let t = ReceiptTime::parse("240229130559").unwrap();
        assert_eq!(t.second, 59);
        assert_eq!(t.to_yymmddhhmmss(), "240229130559");
        assert_eq!(ReceiptTime::parse("20240229130559").unwrap(), t);
        assert_eq!(ReceiptTime::parse("9912312359").unwrap().year, 1999);
        assert_eq!(
            ReceiptTime::parse_with_rollover("9912312359", 100)
                .unwrap()
                .year,
            2099
        );
        assert_eq!(
            ReceiptTime::parse("2302291305"),
            Err(DateError::OutOfRange {
                field: "day",
                value: 29
            })
        );
        assert!(ReceiptTime::parse("2413011200").is_err());
        assert!(ReceiptTime::parse("2412012400").is_err());
        assert!(ReceiptTime::parse("2412012360").is_err());
        assert!(ReceiptTime::parse("241201236").is_err());
        assert_eq!(ReceiptTime::parse("24120123a0"), Err(DateError::NotDigits));
        assert_eq!(ReceiptTime::parse("é"), Err(DateError::Length { len: 2 }));
        assert_eq!(t.to_string(), "2024-02-29T13:05:59");
    }
}
