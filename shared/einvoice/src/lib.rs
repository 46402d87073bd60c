//! UBL 2.1 e-invoices for Seikyu: PINT JP (Japanese qualified invoices) and Peppol BIS Billing 3.0.
//!
//! [`render`] streams a validated invoice and its totals onto any `io::Write`; [`read`] turns a UBL
//! document back into the domain model.

mod read;
mod write;

use seikyu_domain::Format;

pub use read::{ReadDocument, ReadError, StatedTotals, read};
pub use write::{RenderError, render};

pub const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub const NS_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
pub const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
pub const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// Specification identifier (BT-24) for a format.
pub fn customization_id(format: Format) -> &'static str {
    match format {
        Format::PintJp => "urn:peppol:pint:billing-1@jp-1",
        Format::PeppolBis3 => {
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        }
    }
}

/// Business process (BT-23) for a format.
pub fn profile_id(format: Format) -> &'static str {
    match format {
        Format::PintJp => "urn:peppol:bis:billing",
        Format::PeppolBis3 => "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
    }
}

/// Validate, compute and render in one call: the path every caller takes.
pub fn render_to_vec(
    invoice: &seikyu_domain::InvoiceInput,
) -> Result<(Vec<u8>, seikyu_domain::Totals), IssueError> {
    seikyu_domain::validate(invoice)?;
    let totals = seikyu_domain::compute(invoice)?;
    let out = render(
        invoice,
        &totals,
        Vec::with_capacity(4096 + 1024 * invoice.lines.len()),
    )?;
    Ok((out, totals))
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    Invalid(#[from] seikyu_domain::ValidationErrors),
    #[error(transparent)]
    Calc(#[from] seikyu_domain::CalcError),
    #[error(transparent)]
    Render(#[from] RenderError),
}
