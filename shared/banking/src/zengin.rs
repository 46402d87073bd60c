//! 全銀協 (Zengin) fixed-length statement files: 振込入金通知 (種別コード 01, formats A and B) and
//! 入出金取引明細 (種別コード 03).
//!
//! Layouts from the 全銀協 standard, "AP-Ⅰ-12〔別冊〕全銀協パーソナル・コンピュータ用標準通信プロトコル
//! （ベーシック手順）適用業務およびレコード・フォーマット" (令和元年12月,
//! <https://www.zenginkyo.or.jp/abstract/efforts/system/protocol/>), as encoded by two independent
//! readers that agree on every position: Diva.Zengin (github.com/diva-osaka/Diva.Zengin,
//! `Records/振込入金通知*.cs`, `Records/入出金取引明細*.cs`) and zengin-fmt (github.com/KotobaMedia/
//! zengin-fmt, `src/payment_notice.rs`, 01 A and B). Positions below are 1-based, as in the standard.
//!
//! A file is records of 200 bytes: 1 header, 2 data, 8 trailer, 9 end. Several header-to-trailer groups
//! (one per account) may precede the one end record. Records are separated by CRLF, LF or nothing (the
//! first record decides; every record must then follow it), and a final 0x1A (EOF) is tolerated. Text is
//! JIS X 0201 half-width kana, read as CP932 (a superset); コード区分 1 (EBCDIC) is refused.
//!
//! **Format A or B (01).** Nothing in the header says. In format A, positions 149 to 200 are blank; in
//! format B, 129-140 are 金額(2) and 141-152 うち他店券金額(2), both zero-filled digits, so 149-152 are
//! digits. The first data record decides and every other must agree. In B, 金額(1) (20-29) holds the
//! amount when it fits ten digits and 金額(2) is zero; otherwise 金額(1) is zero and 金額(2) holds it.
//!
//! **Totals.** 01 trailer: 振込合計件数/金額 over every data record, cancellations included, and
//! 取消合計件数/金額 over the cancellations (取消区分 1). 03 trailer: 入金件数/入金額合計 and 出金件数/
//! 出金額合計 of the account, its データ・レコード件数, and 取引後残高 = 取引前残高 + 入金 − 出金 (signed by
//! 貸越区分). 03 end record: レコード総件数 over every record of the file, the end record itself included,
//! and 口座数 (the number of groups). A file that fails any of these is refused whole.
//!
//! **Reversals.** A 01 record with 取消区分 1 cancels the notice with the same 照会番号: it is a `debit`
//! with `reversal` true, its id ends in `-cancel`, and it names that 照会番号. In 03, 入払区分 gives the
//! direction and 取引区分 19 (訂正) marks a correction, which reverses the entry of the same account, amount
//! and opposite direction.

use std::io::{BufRead, BufReader, Read};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{Direction, Entry, Format, Statement, StatementError, normalized_name, wareki};

const RECORD: usize = 200;
const EOF_MARK: u8 = 0x1A;

/// Read a whole Zengin file from memory, on `today` (which decides the era of its dates, see
/// [`wareki`]).
pub fn parse(bytes: &[u8], today: NaiveDate) -> Result<Statement, StatementError> {
    read(bytes, today)
}

/// Read a Zengin file from any reader, one record at a time (memory is the entries, not the file).
pub fn read(input: impl Read, today: NaiveDate) -> Result<Statement, StatementError> {
    let mut records = Records::new(BufReader::new(input));
    let mut file = FileState {
        today,
        ..FileState::default()
    };
    while let Some((n, rec)) = records.next_record()? {
        file.record(n, &rec)?;
    }
    file.finish(records.count)
}

/// Splits the input into 200-byte records and checks the separators.
struct Records<R> {
    input: R,
    count: u64,
    separator: Option<&'static [u8]>,
    ended: bool,
}

impl<R: BufRead> Records<R> {
    fn new(input: R) -> Self {
        Records {
            input,
            count: 0,
            separator: None,
            ended: false,
        }
    }

    fn next_record(&mut self) -> Result<Option<(u64, [u8; RECORD])>, StatementError> {
        if self.ended {
            return Ok(None);
        }
        let n = self.count + 1;
        let mut rec = [0u8; RECORD];
        let mut got = 0;
        while got < RECORD {
            let read = self
                .input
                .read(&mut rec[got..])
                .map_err(|e| StatementError::record(n, format!("cannot be read: {e}")))?;
            if read == 0 {
                break;
            }
            got += read;
        }
        let tail = &rec[..got];
        if got == 0
            || (tail
                .iter()
                .all(|&b| b == EOF_MARK || b == b'\r' || b == b'\n')
                && tail.first() == Some(&EOF_MARK))
        {
            // The end of the file, or its EOF mark.
            self.ended = true;
            return Ok(None);
        }
        if got < RECORD || rec[..got].contains(&b'\n') {
            let len = rec[..got]
                .iter()
                .position(|&b| b == b'\r' || b == b'\n')
                .unwrap_or(got);
            return Err(StatementError::record(
                n,
                format!(
                    "{len} bytes; a Zengin record is {RECORD} bytes (truncated or wrong length)"
                ),
            ));
        }
        self.count = n;
        self.separator(n)?;
        Ok(Some((n, rec)))
    }

    /// Consume the separator after record `n` and check it is the file's separator.
    fn separator(&mut self, n: u64) -> Result<(), StatementError> {
        let buf = self
            .input
            .fill_buf()
            .map_err(|e| StatementError::record(n, format!("cannot be read: {e}")))?;
        let (sep, len): (&'static [u8], usize) = match buf {
            [b'\r', b'\n', ..] => (b"\r\n", 2),
            [b'\n', ..] => (b"\n", 1),
            [b'\r'] => (b"\r\n", 1), // CR at a buffer boundary: the LF is checked below
            [] | [EOF_MARK, ..] => return Ok(()),
            _ => (b"", 0),
        };
        let cr_only = buf == b"\r";
        self.input.consume(len);
        if cr_only {
            let lf = self
                .input
                .fill_buf()
                .map_err(|e| StatementError::record(n, e.to_string()))?;
            if lf.first() != Some(&b'\n') {
                return Err(StatementError::record(
                    n,
                    "a CR not followed by LF after the record",
                ));
            }
            self.input.consume(1);
        }
        match self.separator {
            None => self.separator = Some(sep),
            Some(s) if s == sep => {}
            Some(_) => {
                return Err(StatementError::record(
                    n,
                    format!(
                        "not {RECORD} bytes, or a separator unlike the first record's (CRLF, LF or none, the same throughout)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Notice,     // 01
    Statement3, // 03
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Header,
    DataOrTrailer,
    HeaderOrEnd,
    Nothing,
}

/// The group (account) being read.
#[derive(Default)]
struct Group {
    account: String,
    kind: Option<Kind>,
    /// 01: all data records and their sum; 取消 records and their sum. 03: 入金 and 出金 counts and sums.
    count_a: u64,
    sum_a: Decimal,
    count_b: u64,
    sum_b: Decimal,
    /// 03: the balance before the first entry, signed.
    opening: Decimal,
}

struct FileState {
    today: NaiveDate,
    expect: Expect,
    kind: Option<Kind>,
    /// 01: format B, once the first data record told.
    format_b: Option<bool>,
    group: Group,
    groups: u64,
    entries: Vec<Entry>,
}

impl Default for FileState {
    fn default() -> Self {
        FileState {
            today: NaiveDate::default(),
            expect: Expect::Header,
            kind: None,
            format_b: None,
            group: Group::default(),
            groups: 0,
            entries: Vec::new(),
        }
    }
}

/// A field at 1-based `start`, `width` bytes.
fn field(rec: &[u8; RECORD], start: usize, width: usize) -> &[u8] {
    &rec[start - 1..start - 1 + width]
}

fn digits(
    rec: &[u8; RECORD],
    n: u64,
    start: usize,
    width: usize,
    name: &str,
) -> Result<u64, StatementError> {
    let f = field(rec, start, width);
    if !f.iter().all(u8::is_ascii_digit) {
        return Err(StatementError::record(
            n,
            format!(
                "{name} (positions {start}-{}) is not digits: {:?}",
                start + width - 1,
                String::from_utf8_lossy(f)
            ),
        ));
    }
    Ok(f.iter().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')))
}

/// A numeric field that banks may leave blank (spaces): `None` when blank or zero.
fn optional_digits(rec: &[u8; RECORD], start: usize, width: usize) -> Option<String> {
    let f = field(rec, start, width);
    (f.iter().all(u8::is_ascii_digit) && f.iter().any(|&b| b != b'0'))
        .then(|| String::from_utf8_lossy(f).into_owned())
}

fn text(
    rec: &[u8; RECORD],
    n: u64,
    start: usize,
    width: usize,
    name: &str,
) -> Result<Option<String>, StatementError> {
    let (s, _, bad) = encoding_rs::SHIFT_JIS.decode(field(rec, start, width));
    if bad {
        return Err(StatementError::record(
            n,
            format!(
                "{name} (positions {start}-{}) is not JIS X 0201 / Shift_JIS text",
                start + width - 1
            ),
        ));
    }
    let t = s.trim_end_matches([' ', '\u{3000}']).to_string();
    Ok((!t.trim().is_empty()).then_some(t))
}

fn date(
    rec: &[u8; RECORD],
    n: u64,
    start: usize,
    name: &str,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, StatementError> {
    let f = String::from_utf8_lossy(field(rec, start, 6)).into_owned();
    wareki::parse(&f, today).map_err(|e| StatementError::record(n, format!("{name}: {e}")))
}

fn required_date(
    rec: &[u8; RECORD],
    n: u64,
    start: usize,
    name: &str,
    today: NaiveDate,
) -> Result<NaiveDate, StatementError> {
    date(rec, n, start, name, today)?
        .ok_or_else(|| StatementError::record(n, format!("{name} is blank")))
}

fn yen(v: u64) -> Decimal {
    Decimal::from(v)
}

impl FileState {
    fn record(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<(), StatementError> {
        match (rec[0], self.expect) {
            (b'1', Expect::Header | Expect::HeaderOrEnd) => self.header(n, rec),
            (b'2', Expect::DataOrTrailer) => self.data(n, rec),
            (b'8', Expect::DataOrTrailer) => self.trailer(n, rec),
            (b'9', Expect::HeaderOrEnd) => self.end(n, rec),
            (b'1' | b'2' | b'8' | b'9', expect) => Err(StatementError::record(
                n,
                format!(
                    "データ区分 {} where {} was expected",
                    rec[0] as char,
                    match expect {
                        Expect::Header => "a header (1)",
                        Expect::DataOrTrailer => "a data record (2) or the trailer (8)",
                        Expect::HeaderOrEnd => "the next header (1) or the end record (9)",
                        Expect::Nothing => "nothing after the end record",
                    }
                ),
            )),
            (other, _) => Err(StatementError::record(
                n,
                format!("データ区分 {:?} is not 1, 2, 8 or 9", other as char),
            )),
        }
    }

    fn header(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<(), StatementError> {
        let kind = match field(rec, 2, 2) {
            b"01" => Kind::Notice,
            b"03" => Kind::Statement3,
            other => {
                return Err(StatementError::record(
                    n,
                    format!(
                        "種別コード {:?}: Seikyu reads 01 (振込入金通知) and 03 (入出金取引明細)",
                        String::from_utf8_lossy(other)
                    ),
                ));
            }
        };
        if let Some(k) = self.kind
            && k != kind
        {
            return Err(StatementError::record(
                n,
                "a file holds one 種別コード; this header names another",
            ));
        }
        match rec[3] {
            b'0' => {}
            b'1' => {
                return Err(StatementError::record(
                    n,
                    "コード区分 1 (EBCDIC) is not supported; ask the bank for JIS (コード区分 0)",
                ));
            }
            other => {
                return Err(StatementError::record(
                    n,
                    format!("コード区分 {:?} is not 0 (JIS)", other as char),
                ));
            }
        }
        for (start, name) in [(5, "作成日"), (11, "勘定日(自)"), (17, "勘定日(至)")] {
            date(rec, n, start, name, self.today)?;
        }
        let bank = String::from_utf8_lossy(field(rec, 23, 4)).into_owned();
        let branch = String::from_utf8_lossy(field(rec, 42, 3)).into_owned();
        digits(rec, n, 23, 4, "銀行コード")?;
        digits(rec, n, 42, 3, "支店コード")?;
        let (kind_of_deposit, number) = match kind {
            Kind::Notice => (
                digits(rec, n, 60, 1, "預金種目")?,
                digits(rec, n, 61, 7, "口座番号")?,
            ),
            Kind::Statement3 => {
                let t = digits(rec, n, 63, 1, "預金種目")?;
                if !matches!(t, 1 | 2 | 4) {
                    return Err(StatementError::record(
                        n,
                        format!(
                            "預金種目 {t}: a time-deposit statement holds no transfers; Seikyu reads 1 (普通), 2 (当座) and 4 (貯蓄)"
                        ),
                    ));
                }
                (t, digits(rec, n, 64, 10, "口座番号")?)
            }
        };
        if number > 9_999_999 {
            return Err(StatementError::record(
                n,
                format!("口座番号 {number} has more than 7 digits"),
            ));
        }
        let mut group = Group {
            account: format!("{bank}-{branch}-{kind_of_deposit}-{number:07}"),
            kind: Some(kind),
            ..Group::default()
        };
        if kind == Kind::Statement3 {
            let sign = self.sign(rec, n, 114, "貸越区分")?;
            group.opening = sign * yen(digits(rec, n, 116, 14, "取引前残高")?);
        }
        self.kind = Some(kind);
        self.group = group;
        self.expect = Expect::DataOrTrailer;
        Ok(())
    }

    fn sign(
        &self,
        rec: &[u8; RECORD],
        n: u64,
        start: usize,
        name: &str,
    ) -> Result<Decimal, StatementError> {
        match rec[start - 1] {
            b'1' => Ok(Decimal::ONE),
            b'2' => Ok(Decimal::NEGATIVE_ONE),
            other => Err(StatementError::record(
                n,
                format!("{name} {:?} is not 1 (+) or 2 (-)", other as char),
            )),
        }
    }

    fn data(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<(), StatementError> {
        let entry = match self.group.kind {
            Some(Kind::Notice) => self.notice(n, rec)?,
            _ => self.statement(n, rec)?,
        };
        self.entries.push(entry);
        Ok(())
    }

    /// A 01 data record (format A or B).
    fn notice(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<Entry, StatementError> {
        let b = field(rec, 149, 4).iter().all(u8::is_ascii_digit);
        let a = field(rec, 149, 52).iter().all(|&c| c == b' ');
        let is_b = match (a, b) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => {
                return Err(StatementError::record(
                    n,
                    "positions 149-200 are neither blank (format A) nor 金額(2)/他店券金額(2) digits (format B)",
                ));
            }
        };
        match self.format_b {
            None => self.format_b = Some(is_b),
            Some(f) if f == is_b => {}
            Some(_) => {
                return Err(StatementError::record(
                    n,
                    "format A and format B records in one file",
                ));
            }
        }
        let reference_no = digits(rec, n, 2, 6, "照会番号")?;
        let booking = required_date(rec, n, 8, "勘定日", self.today)?;
        let value = date(rec, n, 14, "起算日", self.today)?.unwrap_or(booking);
        let amount1 = digits(rec, n, 20, 10, "金額")?;
        let (amount, edi_at) = if is_b {
            let amount2 = digits(rec, n, 129, 12, "金額(2)")?;
            digits(rec, n, 141, 12, "うち他店券金額(2)")?;
            let amount = match (amount1, amount2) {
                (a, 0) => a,
                (0, b) => b,
                (a, b) if a == b => a,
                (a, b) => {
                    return Err(StatementError::record(
                        n,
                        format!("金額(1) {a} and 金額(2) {b} disagree (one of them must be zero)"),
                    ));
                }
            };
            (amount, 153)
        } else {
            (amount1, 129)
        };
        let cancelled = match rec[127] {
            b'1' => true,
            b' ' | b'0' => false,
            other => {
                return Err(StatementError::record(
                    n,
                    format!("取消区分 {:?} is not 1, 0 or blank", other as char),
                ));
            }
        };
        let amount = yen(amount);
        self.group.count_a += 1;
        self.group.sum_a += amount;
        if cancelled {
            self.group.count_b += 1;
            self.group.sum_b += amount;
        }
        let payer = text(rec, n, 50, 48, "振込依頼人名")?;
        let id = format!(
            "{}-{reference_no:06}{}",
            booking,
            if cancelled { "-cancel" } else { "" }
        );
        Ok(Entry {
            format: if is_b {
                Format::Zengin01B
            } else {
                Format::Zengin01A
            },
            account: self.group.account.clone(),
            entry_id: id,
            booking_date: booking,
            value_date: value,
            direction: if cancelled {
                Direction::Debit
            } else {
                Direction::Credit
            },
            amount,
            currency: "JPY".into(),
            payer_name_normalized: normalized_name(payer.as_deref()),
            payer_name: payer,
            reference: text(rec, n, edi_at, 20, "EDI情報")?.map(|s| s.trim().to_string()),
            reversal: cancelled,
            remitter_code: optional_digits(rec, 40, 10),
            names: cancelled.then(|| format!("{reference_no:06}")),
            position: n,
        })
    }

    /// A 03 data record (預金種目 1, 2, 4).
    fn statement(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<Entry, StatementError> {
        let reference_no = digits(rec, n, 2, 8, "照会番号")?;
        let booking = required_date(rec, n, 10, "勘定日", self.today)?;
        let value = date(rec, n, 16, "預入・払出日", self.today)?.unwrap_or(booking);
        let direction = match rec[21] {
            b'1' => Direction::Credit,
            b'2' => Direction::Debit,
            other => {
                return Err(StatementError::record(
                    n,
                    format!("入払区分 {:?} is not 1 (入金) or 2 (出金)", other as char),
                ));
            }
        };
        let kind = digits(rec, n, 23, 2, "取引区分")?;
        if !matches!(kind, 10..=15 | 18 | 19) {
            return Err(StatementError::record(
                n,
                format!("取引区分 {kind:02} is not one of 10-15, 18, 19"),
            ));
        }
        let amount = yen(digits(rec, n, 25, 12, "取引金額")?);
        match direction {
            Direction::Credit => {
                self.group.count_a += 1;
                self.group.sum_a += amount;
            }
            Direction::Debit => {
                self.group.count_b += 1;
                self.group.sum_b += amount;
            }
        }
        let payer = text(rec, n, 82, 48, "振込依頼人名")?;
        Ok(Entry {
            format: Format::Zengin03,
            account: self.group.account.clone(),
            entry_id: format!("{booking}-{reference_no:08}"),
            booking_date: booking,
            value_date: value,
            direction,
            amount,
            currency: "JPY".into(),
            payer_name_normalized: normalized_name(payer.as_deref()),
            payer_name: payer,
            reference: text(rec, n, 180, 20, "EDI情報")?.map(|s| s.trim().to_string()),
            reversal: kind == 19,
            remitter_code: optional_digits(rec, 72, 10),
            names: None,
            position: n,
        })
    }

    fn trailer(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<(), StatementError> {
        let g = &self.group;
        let mismatch = |what: &str, file: String, read: String| {
            Err(StatementError::record(
                n,
                format!(
                    "trailer {what} is {file}, but the records add up to {read}: the file is refused whole"
                ),
            ))
        };
        match g.kind {
            Some(Kind::Notice) => {
                let checks = [
                    (
                        "振込合計件数",
                        digits(rec, n, 2, 6, "振込合計件数")?,
                        g.count_a,
                        false,
                    ),
                    (
                        "振込合計金額",
                        digits(rec, n, 8, 12, "振込合計金額")?,
                        0,
                        true,
                    ),
                    (
                        "取消合計件数",
                        digits(rec, n, 20, 6, "取消合計件数")?,
                        g.count_b,
                        false,
                    ),
                    (
                        "取消合計金額",
                        digits(rec, n, 26, 12, "取消合計金額")?,
                        0,
                        true,
                    ),
                ];
                let sums = [g.sum_a, g.sum_b];
                for (i, (name, file, count, is_sum)) in checks.into_iter().enumerate() {
                    if is_sum {
                        if yen(file) != sums[i / 2] {
                            return mismatch(name, file.to_string(), sums[i / 2].to_string());
                        }
                    } else if file != count {
                        return mismatch(name, file.to_string(), count.to_string());
                    }
                }
            }
            _ => {
                let credits = digits(rec, n, 2, 6, "入金件数")?;
                let credit_sum = yen(digits(rec, n, 8, 13, "入金額合計")?);
                let debits = digits(rec, n, 21, 6, "出金件数")?;
                let debit_sum = yen(digits(rec, n, 27, 13, "出金額合計")?);
                let closing =
                    self.sign(rec, n, 40, "貸越区分")? * yen(digits(rec, n, 41, 14, "取引後残高")?);
                let data = digits(rec, n, 55, 7, "データ・レコード件数")?;
                if credits != g.count_a {
                    return mismatch("入金件数", credits.to_string(), g.count_a.to_string());
                }
                if credit_sum != g.sum_a {
                    return mismatch("入金額合計", credit_sum.to_string(), g.sum_a.to_string());
                }
                if debits != g.count_b {
                    return mismatch("出金件数", debits.to_string(), g.count_b.to_string());
                }
                if debit_sum != g.sum_b {
                    return mismatch("出金額合計", debit_sum.to_string(), g.sum_b.to_string());
                }
                if data != g.count_a + g.count_b {
                    return mismatch(
                        "データ・レコード件数",
                        data.to_string(),
                        (g.count_a + g.count_b).to_string(),
                    );
                }
                let expected = g.opening + g.sum_a - g.sum_b;
                if closing != expected {
                    return mismatch(
                        "取引後残高",
                        closing.to_string(),
                        format!("{expected} (取引前残高 + 入金 - 出金)"),
                    );
                }
            }
        }
        self.groups += 1;
        self.expect = Expect::HeaderOrEnd;
        Ok(())
    }

    fn end(&mut self, n: u64, rec: &[u8; RECORD]) -> Result<(), StatementError> {
        if self.kind == Some(Kind::Statement3) {
            let total = digits(rec, n, 2, 10, "レコード総件数")?;
            let accounts = digits(rec, n, 12, 5, "口座数")?;
            if total != n {
                return Err(StatementError::record(
                    n,
                    format!(
                        "end record レコード総件数 is {total}, but the file has {n} records (the end record included)"
                    ),
                ));
            }
            if accounts != self.groups {
                return Err(StatementError::record(
                    n,
                    format!(
                        "end record 口座数 is {accounts}, but the file has {} accounts",
                        self.groups
                    ),
                ));
            }
        }
        self.expect = Expect::Nothing;
        Ok(())
    }

    fn finish(self, records: u64) -> Result<Statement, StatementError> {
        if self.expect != Expect::Nothing {
            return Err(StatementError::record(
                records + 1,
                match self.expect {
                    Expect::Header => "the file holds no header record",
                    Expect::DataOrTrailer => "the file ends before its trailer (8): truncated",
                    _ => "the file ends without its end record (9): truncated",
                },
            ));
        }
        let format = match (self.kind, self.format_b) {
            (Some(Kind::Statement3), _) => Format::Zengin03,
            (_, Some(true)) => Format::Zengin01B,
            _ => Format::Zengin01A,
        };
        Ok(Statement {
            format,
            entries: self.entries,
        })
    }
}

/// Writing Zengin files: for the demo, the statement generator and tests. Records are laid out from
/// the same positions the reader uses; the table tests check the reader against hand-made records.
pub mod write {
    use chrono::NaiveDate;

    use crate::wareki;

    /// One deposit in a 01 file (format A) or a 03 file.
    #[derive(Debug, Clone)]
    pub struct Deposit {
        pub reference_no: u32,
        pub date: NaiveDate,
        pub amount: u64,
        /// Half-width kana (or ASCII), at most 48 characters; longer is cut as banks cut it.
        pub payer: String,
        pub remitter_code: Option<String>,
        pub edi: Option<String>,
        pub cancelled: bool,
    }

    /// The account a file is about.
    #[derive(Debug, Clone)]
    pub struct AccountHead {
        pub bank: String,
        pub branch: String,
        pub kind: u8,
        pub number: String,
        pub name: String,
    }

    fn sjis(s: &str) -> Vec<u8> {
        encoding_rs::SHIFT_JIS.encode(s).0.into_owned()
    }

    /// `s` in Shift_JIS, cut or space-padded to `width` bytes (never cutting a double-byte character).
    pub fn text(s: &str, width: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(width);
        for c in s.chars() {
            let b = sjis(&c.to_string());
            if out.len() + b.len() > width {
                break;
            }
            out.extend(b);
        }
        out.resize(width, b' ');
        out
    }

    pub fn num(v: u64, width: usize) -> Vec<u8> {
        let s = format!("{v:0width$}");
        s.as_bytes()[s.len() - width..].to_vec()
    }

    /// A 01 file (format A) for one account, records joined by CRLF, trailer totals as the layout counts
    /// them.
    pub fn notice(head: &AccountHead, created: NaiveDate, deposits: &[Deposit]) -> Vec<u8> {
        notice_groups(created, &[(head.clone(), deposits.to_vec())])
    }

    /// A 01 file (format A) of several accounts (one header-to-trailer group each, then the end record).
    pub fn notice_groups(created: NaiveDate, groups: &[(AccountHead, Vec<Deposit>)]) -> Vec<u8> {
        let mut records: Vec<Vec<u8>> = Vec::new();
        for (head, deposits) in groups {
            group(&mut records, head, created, deposits);
        }
        let mut e = vec![b'9'];
        e.resize(200, b' ');
        records.push(e);
        records.join(&b"\r\n"[..])
    }

    fn group(
        records: &mut Vec<Vec<u8>>,
        head: &AccountHead,
        created: NaiveDate,
        deposits: &[Deposit],
    ) {
        let mut h = Vec::with_capacity(200);
        h.extend(b"101");
        h.push(b'0');
        let from = deposits.iter().map(|d| d.date).min().unwrap_or(created);
        let to = deposits.iter().map(|d| d.date).max().unwrap_or(created);
        for d in [created, from, to] {
            h.extend(wareki::format(d).as_bytes());
        }
        h.extend(text(&head.bank, 4));
        h.extend(text("ｷﾞﾝｺｳ", 15));
        h.extend(text(&head.branch, 3));
        h.extend(text("ｼﾃﾝ", 15));
        h.push(b'0' + head.kind);
        h.extend(text(&head.number, 7));
        h.extend(text(&head.name, 40));
        h.resize(200, b' ');
        records.push(h);
        let (mut count, mut sum, mut ccount, mut csum) = (0u64, 0u64, 0u64, 0u64);
        for d in deposits {
            let mut r = Vec::with_capacity(200);
            r.push(b'2');
            r.extend(num(u64::from(d.reference_no), 6));
            r.extend(wareki::format(d.date).as_bytes());
            r.extend(wareki::format(d.date).as_bytes());
            r.extend(num(d.amount, 10));
            r.extend(num(0, 10));
            match &d.remitter_code {
                Some(c) => r.extend(text(&format!("{c:0>10}"), 10)),
                None => r.extend(num(0, 10)),
            }
            r.extend(text(&d.payer, 48));
            r.extend(text("ﾀｺｳ", 15));
            r.extend(text("ﾎﾝﾃﾝ", 15));
            r.push(if d.cancelled { b'1' } else { b'0' });
            r.extend(text(d.edi.as_deref().unwrap_or(""), 20));
            r.resize(200, b' ');
            records.push(r);
            count += 1;
            sum += d.amount;
            if d.cancelled {
                ccount += 1;
                csum += d.amount;
            }
        }
        let mut t = vec![b'8'];
        t.extend(num(count, 6));
        t.extend(num(sum, 12));
        t.extend(num(ccount, 6));
        t.extend(num(csum, 12));
        t.resize(200, b' ');
        records.push(t);
    }

    /// One line of a 03 statement.
    #[derive(Debug, Clone)]
    pub struct Movement {
        pub reference_no: u32,
        pub date: NaiveDate,
        pub credit: bool,
        /// 取引区分: 11 振込, 14 振替, 19 訂正, ...
        pub kind: u8,
        pub amount: u64,
        pub payer: String,
    }

    /// A 03 file (入出金取引明細) for one account (a 7-digit number written as 10), no separators, with
    /// the trailer's counts, sums and closing balance and the end record's totals.
    pub fn statement(
        head: &AccountHead,
        created: NaiveDate,
        opening: u64,
        lines: &[Movement],
    ) -> Vec<u8> {
        let mut records: Vec<Vec<u8>> = Vec::new();
        let mut h = Vec::with_capacity(200);
        h.extend(b"1030");
        let from = lines.iter().map(|m| m.date).min().unwrap_or(created);
        let to = lines.iter().map(|m| m.date).max().unwrap_or(created);
        for d in [created, from, to] {
            h.extend(wareki::format(d).as_bytes());
        }
        h.extend(text(&head.bank, 4));
        h.extend(text("ｷﾞﾝｺｳ", 15));
        h.extend(text(&head.branch, 3));
        h.extend(text("ｼﾃﾝ", 15));
        h.extend(b"000");
        h.push(b'0' + head.kind);
        h.extend(text(&format!("000{}", head.number), 10));
        h.extend(text(&head.name, 40));
        h.extend(b"11");
        h.extend(num(opening, 14));
        h.resize(200, b' ');
        records.push(h);
        let (mut cr, mut crs, mut dr, mut drs) = (0u64, 0u64, 0u64, 0u64);
        for m in lines {
            let mut r = Vec::with_capacity(200);
            r.push(b'2');
            r.extend(num(u64::from(m.reference_no), 8));
            r.extend(wareki::format(m.date).as_bytes());
            r.extend(wareki::format(m.date).as_bytes());
            r.push(if m.credit { b'1' } else { b'2' });
            r.extend(num(u64::from(m.kind), 2));
            r.extend(num(m.amount, 12));
            r.extend(num(0, 12));
            r.extend(num(0, 6));
            r.extend(num(0, 6));
            r.push(b'0');
            r.extend(num(0, 7));
            r.extend(num(0, 3));
            r.extend(num(0, 10));
            r.extend(text(&m.payer, 48));
            r.resize(200, b' ');
            records.push(r);
            if m.credit {
                cr += 1;
                crs += m.amount;
            } else {
                dr += 1;
                drs += m.amount;
            }
        }
        let closing = opening + crs - drs.min(opening + crs);
        let mut t = vec![b'8'];
        t.extend(num(cr, 6));
        t.extend(num(crs, 13));
        t.extend(num(dr, 6));
        t.extend(num(drs, 13));
        t.push(b'1');
        t.extend(num(closing, 14));
        t.extend(num(cr + dr, 7));
        t.resize(200, b' ');
        records.push(t);
        let total = records.len() as u64 + 1;
        let mut e = vec![b'9'];
        e.extend(num(total, 10));
        e.extend(num(1, 5));
        e.resize(200, b' ');
        records.push(e);
        records.concat()
    }
}
