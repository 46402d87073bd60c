//! PDF documents people file: the invoice and credit note (適格請求書 / 適格返還請求書, or the English
//! EN 16931 layout for Peppol BIS) as PDF/A-3b carrying their UBL e-invoice, and the receipt (領収書).
//!
//! Typeset by typst (as a library): a template per document kind (`invoice.typ`, `receipt.typ`) places
//! the values of a `data.json` this module writes, so no value is ever read as markup. The invoice view is
//! built from the UBL itself (read back with `seikyu_einvoice::read`), and its stated totals are checked
//! against a recomputation first: every figure in the PDF is the UBL's. The font is BIZ UDPGothic (SIL
//! OFL 1.1, `fonts/`, compiled into the binary), embedded as a subset. Output is deterministic: the
//! document id and dates come from the document, so the same input gives the same bytes.

mod invoice;
mod receipt;

use std::sync::LazyLock;

use chrono::NaiveDate;
use thiserror::Error;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

pub use invoice::invoice;
pub use receipt::receipt;

/// Why a document could not be rendered. Rendering a stored document fails only on a defect (the
/// UBL was validated when it was issued), so callers treat these as permanent.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PdfError {
    #[error("the e-invoice cannot be read: {0}")]
    Ubl(String),
    #[error(
        "the e-invoice's totals do not add up ({0}); refusing to print figures that differ from it"
    )]
    Inconsistent(String),
    #[error("typesetting failed: {0}")]
    Typeset(String),
    #[error("PDF export failed: {0}")]
    Export(String),
}

/// The font file, compiled in (SIL OFL 1.1; the licence is `fonts/OFL.txt`). One weight: the templates
/// draw bold by stroking (the bold face would add 3 MB to the zip of the function that renders).
static FONT_FILES: [&[u8]; 1] = [include_bytes!("../../fonts/BIZUDPGothic-Regular.ttf")];

/// What every render shares, built once per process: typst's standard library, the fonts and the
/// templates.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    invoice: Source,
    receipt: Source,
    data: FileId,
    attachment: FileId,
}

fn file_id(path: &str) -> FileId {
    match VirtualPath::new(path) {
        Ok(vpath) => RootedPath::new(VirtualRoot::Project, vpath).intern(),
        // The paths are the constants below.
        Err(e) => unreachable!("virtual path {path}: {e:?}"),
    }
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|b| Font::iter(Bytes::new(*b)))
        .collect();
    let book = FontBook::from_fonts(&fonts);
    Shared {
        library: LazyHash::new(<Library as LibraryExt>::default()),
        book: LazyHash::new(book),
        fonts,
        invoice: Source::new(file_id("invoice.typ"), include_str!("invoice.typ").into()),
        receipt: Source::new(file_id("receipt.typ"), include_str!("receipt.typ").into()),
        data: file_id("data.json"),
        attachment: file_id("attachment.xml"),
    }
});

/// Load the fonts and templates now (a function's init) instead of on the first render.
pub fn warm_up() {
    LazyLock::force(&SHARED);
}

/// Whether the bundled font has a glyph for `c` (its character map covers it).
pub fn font_has_glyph(c: char) -> bool {
    !SHARED.fonts.is_empty()
        && SHARED
            .fonts
            .iter()
            .all(|f| f.info().coverage.contains(c as u32))
}

#[derive(Clone, Copy)]
enum Template {
    Invoice,
    Receipt,
}

/// One render: a template, its data, and the file it attaches.
struct Job<'a> {
    shared: &'a Shared,
    template: Template,
    data: Bytes,
    attachment: Bytes,
}

impl Job<'_> {
    fn main_source(&self) -> &Source {
        match self.template {
            Template::Invoice => &self.shared.invoice,
            Template::Receipt => &self.shared.receipt,
        }
    }
}

impl World for Job<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }
    fn main(&self) -> FileId {
        self.main_source().id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        let main = self.main_source();
        if id == main.id() {
            Ok(main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.shared.data {
            Ok(self.data.clone())
        } else if id == self.shared.attachment {
            Ok(self.attachment.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }
    /// No clock: a document's dates are its own.
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}

/// Typst's messages, each with the template line it points at.
fn diagnostics(job: &Job, d: &[SourceDiagnostic]) -> String {
    use typst::WorldExt as _;
    let source = job.main_source();
    d.iter()
        .map(|d| {
            let line = job
                .range(d.span)
                .and_then(|r| source.lines().byte_to_line(r.start))
                .map(|l| format!("{:?}:{}: ", source.id().vpath(), l + 1))
                .unwrap_or_default();
            format!("{line}{}", d.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The document's fixed metadata: its id and its date (00:00 in Tokyo on `date`).
struct Meta {
    ident: String,
    date: NaiveDate,
}

/// `s` as the fonts can print it: a character they have no glyph for (an emoji, a kanji beyond JIS X
/// 0213 such as 𠮷) becomes 〓 (geta, the mark Japanese printing uses for a missing character), and
/// invisible joiners and variation selectors are dropped. PDF/A forbids text without a glyph, and the
/// embedded e-invoice keeps every character as written.
pub fn printable(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() || default_ignorable(c) => None,
            c if font_has_glyph(c) => Some(c),
            _ => Some('〓'),
        })
        .collect()
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters shown as nothing
/// (joiners, bidi controls, variation selectors, the byte-order mark, tags).
fn default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Every string in `v`, [`printable`].
fn printable_values(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => *s = printable(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(printable_values),
        serde_json::Value::Object(o) => o.values_mut().for_each(printable_values),
        _ => {}
    }
}

/// Typeset `template` with `view` (written as `data.json`, every string [`printable`]) and export it;
/// `attachment` is what the template attaches.
fn render(
    template: Template,
    view: &impl serde::Serialize,
    attachment: Vec<u8>,
    meta: &Meta,
) -> Result<Vec<u8>, PdfError> {
    let mut value = serde_json::to_value(view).map_err(|e| PdfError::Typeset(e.to_string()))?;
    printable_values(&mut value);
    let data = serde_json::to_vec(&value).map_err(|e| PdfError::Typeset(e.to_string()))?;
    let job = Job {
        shared: &SHARED,
        template,
        data: Bytes::new(data),
        attachment: Bytes::new(attachment),
    };
    // Typst is not expected to panic on any data (values are strings placed by the template), but a
    // render is one message of a batch: a panic is caught and becomes this document's error.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| typeset(&job, meta)))
        .unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(PdfError::Typeset(format!("the typesetter panicked: {why}")))
        });
    // The memo cache lives as long as the process (a warm function serves many renders): keep only
    // what the last few renders used.
    typst::comemo::evict(4);
    outcome
}

/// Compile and export `job`.
fn typeset(job: &Job, meta: &Meta) -> Result<Vec<u8>, PdfError> {
    use chrono::Datelike as _;
    let document = typst::compile::<PagedDocument>(job)
        .output
        .map_err(|e| PdfError::Typeset(diagnostics(job, &e)))?;
    let month = u8::try_from(meta.date.month()).unwrap_or(1);
    let day = u8::try_from(meta.date.day()).unwrap_or(1);
    let timestamp = Datetime::from_ymd_hms(meta.date.year(), month, day, 0, 0, 0)
        .and_then(|d| Timestamp::new_local(d, 9 * 60));
    // PDF/A-3b for every document (an archive keeps them ten years); typst's exporter refuses output
    // that would not conform.
    let standards = PdfStandards::new(&[PdfStandard::A_3b])
        .map_err(|e| PdfError::Export(e.message().to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(meta.ident.clone()),
        timestamp,
        standards,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|e| PdfError::Export(diagnostics(job, &e)))
}
