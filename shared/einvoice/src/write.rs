//! UBL 2.1 `Invoice` / `CreditNote` writer, streaming onto any `io::Write` through quick-xml.
//!
//! Element order follows the UBL 2.1 XSD sequences (they differ between Invoice and CreditNote: a credit
//! note has no `cbc:DueDate`, and its `cac:TaxExchangeRate` comes before `cac:AllowanceCharge`). Content
//! follows PINT JP 1.1.3 or Peppol BIS Billing 3.0, chosen by the invoice's format.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::NaiveDate;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::Decimal;
use seikyu_domain::money::fixed;
use seikyu_domain::{
    Address, AllowanceCharge, ChargeKind, Contact, DocumentType, Endpoint, Format, Identifier,
    InvoiceInput, TaxCategory, Totals, has_country_prefix,
};
use thiserror::Error;

use crate::{NS_CAC, NS_CBC, NS_CREDIT_NOTE, NS_INVOICE, customization_id, profile_id};

#[derive(Debug, Error)]
pub enum RenderError {
    #[error("the invoice has no number; assign one before rendering")]
    MissingNumber,
    #[error("totals do not belong to this invoice ({0})")]
    TotalsMismatch(&'static str),
    #[error("writing the document failed: {0}")]
    Io(#[from] io::Error),
}

/// Escape text for element content: `&`, `<`, `>` and `\r` (which a parser would otherwise turn into
/// `\n`, so text with CR would not read back as written). Borrowed when nothing needs escaping.
fn escape_text(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'\r')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

struct X<W: Write> {
    w: Writer<W>,
    /// Scratch buffer for numbers and dates, reused for every value.
    buf: String,
    currency: &'static str,
    decimals: u32,
}

/// `currency` as a `&'static str` when it is a known code (so the writer holds no borrow of the input).
fn static_currency(code: &str) -> &'static str {
    seikyu_domain::codes::CURRENCY_CODES
        .binary_search(&code)
        .map(|i| seikyu_domain::codes::CURRENCY_CODES[i])
        .unwrap_or("XXX")
}

impl<W: Write> X<W> {
    fn start(&mut self, name: &str) -> io::Result<()> {
        self.w.write_event(Event::Start(BytesStart::new(name)))
    }

    fn end(&mut self, name: &str) -> io::Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }

    fn text(&mut self, name: &str, value: &str) -> io::Result<()> {
        self.start(name)?;
        self.w
            .write_event(Event::Text(BytesText::from_escaped(escape_text(value))))?;
        self.end(name)
    }

    fn opt_text(&mut self, name: &str, value: Option<&str>) -> io::Result<()> {
        match value {
            Some(v) => self.text(name, v),
            None => Ok(()),
        }
    }

    fn text_attr(&mut self, name: &str, attr: (&str, &str), value: &str) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        start.push_attribute(attr);
        self.w.write_event(Event::Start(start))?;
        self.w
            .write_event(Event::Text(BytesText::from_escaped(escape_text(value))))?;
        self.end(name)
    }

    /// Write the scratch buffer as the content of `name`, with an optional attribute.
    fn flush_buf(&mut self, name: &str, attr: Option<(&str, &str)>) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        if let Some(a) = attr {
            start.push_attribute(a);
        }
        self.w.write_event(Event::Start(start))?;
        // Digits, '.', '-' and dates never need escaping.
        self.w
            .write_event(Event::Text(BytesText::from_escaped(self.buf.as_str())))?;
        self.end(name)
    }

    /// A monetary amount in the document currency, with the document's decimals.
    fn amount(&mut self, name: &str, value: Decimal) -> io::Result<()> {
        self.amount_in(name, value, self.currency, self.decimals)
    }

    fn amount_in(
        &mut self,
        name: &str,
        value: Decimal,
        currency: &str,
        decimals: u32,
    ) -> io::Result<()> {
        self.buf.clear();
        let _ = write!(self.buf, "{}", fixed(value, decimals));
        self.flush_buf(name, Some(("currencyID", currency)))
    }

    /// A decimal as given (prices, quantities, percentages), without trailing zeros.
    fn number(&mut self, name: &str, value: Decimal, attr: Option<(&str, &str)>) -> io::Result<()> {
        self.buf.clear();
        let _ = write!(self.buf, "{}", value.normalize());
        self.flush_buf(name, attr)
    }

    fn date(&mut self, name: &str, d: NaiveDate) -> io::Result<()> {
        self.buf.clear();
        let _ = write!(self.buf, "{}", d.format("%Y-%m-%d"));
        self.flush_buf(name, None)
    }

    fn period(
        &mut self,
        name: &str,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> io::Result<()> {
        self.start(name)?;
        if let Some(s) = start {
            self.date("cbc:StartDate", s)?;
        }
        if let Some(e) = end {
            self.date("cbc:EndDate", e)?;
        }
        self.end(name)
    }

    fn address(&mut self, a: &Address) -> io::Result<()> {
        self.start("cac:PostalAddress")?;
        self.opt_text("cbc:StreetName", a.street.as_deref())?;
        self.opt_text("cbc:AdditionalStreetName", a.additional_street.as_deref())?;
        self.opt_text("cbc:CityName", a.city.as_deref())?;
        self.opt_text("cbc:PostalZone", a.postal_code.as_deref())?;
        self.opt_text("cbc:CountrySubentity", a.subdivision.as_deref())?;
        self.start("cac:Country")?;
        self.text("cbc:IdentificationCode", &a.country)?;
        self.end("cac:Country")?;
        self.end("cac:PostalAddress")
    }

    fn contact(&mut self, c: &Contact) -> io::Result<()> {
        self.start("cac:Contact")?;
        self.opt_text("cbc:Name", c.name.as_deref())?;
        self.opt_text("cbc:Telephone", c.phone.as_deref())?;
        self.opt_text("cbc:ElectronicMail", c.email.as_deref())?;
        self.end("cac:Contact")
    }

    fn tax_scheme(&mut self) -> io::Result<()> {
        self.start("cac:TaxScheme")?;
        self.text("cbc:ID", "VAT")?;
        self.end("cac:TaxScheme")
    }

    /// `cac:TaxCategory` / `cac:ClassifiedTaxCategory`: ID, Percent (absent for O), exemption reason.
    fn tax_category(
        &mut self,
        name: &str,
        category: TaxCategory,
        rate: Option<Decimal>,
        reason: Option<&str>,
    ) -> io::Result<()> {
        self.start(name)?;
        self.text("cbc:ID", category.code())?;
        if let (Some(r), false) = (rate, category == TaxCategory::O) {
            self.number("cbc:Percent", r, None)?;
        }
        self.opt_text("cbc:TaxExemptionReason", reason)?;
        self.tax_scheme()?;
        self.end(name)
    }

    fn allowance_charge(
        &mut self,
        ac: &AllowanceCharge,
        amount: Decimal,
        base: Option<Decimal>,
        document_level: bool,
    ) -> io::Result<()> {
        self.start("cac:AllowanceCharge")?;
        self.text(
            "cbc:ChargeIndicator",
            if ac.kind == ChargeKind::Charge {
                "true"
            } else {
                "false"
            },
        )?;
        self.opt_text("cbc:AllowanceChargeReasonCode", ac.reason_code.as_deref())?;
        self.opt_text("cbc:AllowanceChargeReason", ac.reason.as_deref())?;
        let with_percent = ac.amount.is_none();
        if let (true, Some(p)) = (with_percent, ac.percent) {
            self.number("cbc:MultiplierFactorNumeric", p.get(), None)?;
        }
        self.amount("cbc:Amount", amount)?;
        if let (true, Some(b)) = (with_percent, base) {
            self.amount("cbc:BaseAmount", b)?;
        }
        if document_level {
            let category = ac.tax_category.unwrap_or(TaxCategory::O);
            // A document-level exemption reason lives in the breakdown, not on the allowance.
            let rate = ac.tax_rate.map(|r| r.get());
            self.tax_category("cac:TaxCategory", category, rate, None)?;
        }
        self.end("cac:AllowanceCharge")
    }
}

/// Render `invoice` with its `totals` (from [`seikyu_domain::compute`]) as UBL onto `out`.
///
/// The invoice should have passed [`seikyu_domain::validate`]; rendering does not repeat those checks,
/// but it never panics on any input. Returns the writer.
pub fn render<W: Write>(invoice: &InvoiceInput, totals: &Totals, out: W) -> Result<W, RenderError> {
    let number = invoice
        .number
        .as_deref()
        .ok_or(RenderError::MissingNumber)?;
    if totals.lines.len() != invoice.lines.len() {
        return Err(RenderError::TotalsMismatch("line count"));
    }
    if totals.document_allowance_charge_amounts.len() != invoice.allowances_charges.len() {
        return Err(RenderError::TotalsMismatch("allowance/charge count"));
    }
    let format = invoice.resolved_format();
    let credit = invoice.document_type == DocumentType::CreditNote;
    let mut x = X {
        w: Writer::new(out),
        buf: String::with_capacity(32),
        currency: static_currency(&invoice.currency),
        decimals: totals.decimals,
    };
    let root = if credit { "CreditNote" } else { "Invoice" };

    x.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut start = BytesStart::new(root);
    start.push_attribute(("xmlns", if credit { NS_CREDIT_NOTE } else { NS_INVOICE }));
    start.push_attribute(("xmlns:cac", NS_CAC));
    start.push_attribute(("xmlns:cbc", NS_CBC));
    x.w.write_event(Event::Start(start))?;

    x.text("cbc:CustomizationID", customization_id(format))?;
    x.text("cbc:ProfileID", profile_id(format))?;
    x.text("cbc:ID", number)?;
    x.date("cbc:IssueDate", invoice.issue_date)?;
    if credit {
        x.text("cbc:CreditNoteTypeCode", "381")?;
    } else {
        if let Some(due) = invoice.due_date {
            x.date("cbc:DueDate", due)?;
        }
        x.text("cbc:InvoiceTypeCode", "380")?;
    }
    x.opt_text("cbc:Note", invoice.note.as_deref())?;
    x.text("cbc:DocumentCurrencyCode", x.currency)?;
    if let Some(tc) = &invoice.tax_currency {
        x.text("cbc:TaxCurrencyCode", &tc.code)?;
    }
    x.opt_text("cbc:BuyerReference", invoice.buyer_reference.as_deref())?;
    if let Some(p) = &invoice.period {
        x.period("cac:InvoicePeriod", p.start, p.end)?;
    }
    if let Some(order) = invoice.order_reference.as_deref() {
        x.start("cac:OrderReference")?;
        x.text("cbc:ID", order)?;
        x.end("cac:OrderReference")?;
    }
    if let Some(pre) = &invoice.preceding_invoice {
        x.start("cac:BillingReference")?;
        x.start("cac:InvoiceDocumentReference")?;
        x.text("cbc:ID", &pre.number)?;
        if let Some(d) = pre.issue_date {
            x.date("cbc:IssueDate", d)?;
        }
        x.end("cac:InvoiceDocumentReference")?;
        x.end("cac:BillingReference")?;
    }
    if let Some(contract) = invoice.contract_reference.as_deref() {
        x.start("cac:ContractDocumentReference")?;
        x.text("cbc:ID", contract)?;
        x.end("cac:ContractDocumentReference")?;
    }

    write_seller(&mut x, invoice, format)?;
    write_buyer(&mut x, invoice)?;

    if let Some(d) = invoice.delivery_date {
        x.start("cac:Delivery")?;
        x.date("cbc:ActualDeliveryDate", d)?;
        x.end("cac:Delivery")?;
    }
    write_payment(&mut x, invoice, number, credit)?;
    if let Some(terms) = invoice.payment_terms.as_deref() {
        x.start("cac:PaymentTerms")?;
        x.text("cbc:Note", terms)?;
        x.end("cac:PaymentTerms")?;
    }
    if credit {
        write_exchange_rate(&mut x, invoice)?;
    }
    for (ac, amount) in invoice
        .allowances_charges
        .iter()
        .zip(&totals.document_allowance_charge_amounts)
    {
        x.allowance_charge(ac, *amount, ac.base_amount.map(|b| b.get()), true)?;
    }
    if !credit {
        write_exchange_rate(&mut x, invoice)?;
    }
    write_tax_totals(&mut x, totals, format)?;
    write_monetary_total(&mut x, invoice, totals)?;
    for (i, (line, lt)) in invoice.lines.iter().zip(&totals.lines).enumerate() {
        write_line(&mut x, i, line, lt, credit)?;
    }
    x.end(root)?;
    Ok(x.w.into_inner())
}

/// A trading party as UBL writes it (seller and buyer share the structure).
struct PartyView<'a> {
    wrapper: &'static str,
    endpoint: Option<&'a Endpoint>,
    identification: Option<&'a str>,
    trading_name: Option<&'a str>,
    address: &'a Address,
    tax_id: Option<&'a str>,
    /// `VAT` for a VAT identifier (BT-31/48), `TAX` for another tax registration (BT-32).
    tax_scheme: &'static str,
    name: &'a str,
    legal_id: Option<&'a Identifier>,
    contact: Option<&'a Contact>,
}

fn write_party<W: Write>(x: &mut X<W>, p: &PartyView<'_>) -> io::Result<()> {
    x.start(p.wrapper)?;
    x.start("cac:Party")?;
    if let Some(e) = p.endpoint {
        x.text_attr("cbc:EndpointID", ("schemeID", &e.scheme), &e.id)?;
    }
    if let Some(id) = p.identification {
        x.start("cac:PartyIdentification")?;
        x.text("cbc:ID", id)?;
        x.end("cac:PartyIdentification")?;
    }
    if let Some(t) = p.trading_name {
        x.start("cac:PartyName")?;
        x.text("cbc:Name", t)?;
        x.end("cac:PartyName")?;
    }
    x.address(p.address)?;
    if let Some(tax_id) = p.tax_id {
        x.start("cac:PartyTaxScheme")?;
        x.text("cbc:CompanyID", tax_id)?;
        x.start("cac:TaxScheme")?;
        x.text("cbc:ID", p.tax_scheme)?;
        x.end("cac:TaxScheme")?;
        x.end("cac:PartyTaxScheme")?;
    }
    x.start("cac:PartyLegalEntity")?;
    x.text("cbc:RegistrationName", p.name)?;
    if let Some(id) = p.legal_id {
        match id.scheme.as_deref() {
            Some(scheme) => x.text_attr("cbc:CompanyID", ("schemeID", scheme), &id.id)?,
            None => x.text("cbc:CompanyID", &id.id)?,
        }
    }
    x.end("cac:PartyLegalEntity")?;
    if let Some(c) = p.contact {
        x.contact(c)?;
    }
    x.end("cac:Party")?;
    x.end(p.wrapper)
}

fn write_seller<W: Write>(x: &mut X<W>, invoice: &InvoiceInput, format: Format) -> io::Result<()> {
    let s = &invoice.seller;
    // A Japanese registration number is no EU VAT identifier: under EN 16931 it is the seller's tax
    // registration identifier (BT-32), whose scheme is not VAT.
    let tax_scheme = match s.tax_id.as_deref() {
        Some(t) if format == Format::PeppolBis3 && !has_country_prefix(t) => "TAX",
        _ => "VAT",
    };
    write_party(
        x,
        &PartyView {
            wrapper: "cac:AccountingSupplierParty",
            endpoint: s.endpoint.as_ref(),
            identification: None,
            trading_name: s.trading_name.as_deref(),
            address: &s.address,
            tax_id: s.tax_id.as_deref(),
            tax_scheme,
            name: &s.name,
            legal_id: s.legal_id.as_ref(),
            contact: s.contact.as_ref(),
        },
    )
}

fn write_buyer<W: Write>(x: &mut X<W>, invoice: &InvoiceInput) -> io::Result<()> {
    let b = &invoice.buyer;
    write_party(
        x,
        &PartyView {
            wrapper: "cac:AccountingCustomerParty",
            endpoint: b.endpoint.as_ref(),
            // DK-R-013: a Danish domestic document gives every PartyIdentification a scheme, and the
            // agency's own customer key has no ISO 6523 scheme; ubl_view() drops it the same way.
            identification: if invoice.omits_buyer_identification() {
                None
            } else {
                b.customer_id.as_deref()
            },
            trading_name: b.trading_name.as_deref(),
            address: &b.address,
            tax_id: b.tax_id.as_deref(),
            tax_scheme: "VAT",
            name: &b.name,
            legal_id: b.legal_id.as_ref(),
            contact: b.contact.as_ref(),
        },
    )
}

/// Payment instructions. An invoice with a seller bank account asks for a credit transfer (UNCL 4461
/// code 30) quoting the invoice number as remittance information, so incoming payments can be matched.
/// A credit note states its due date through `cac:PaymentMeans` (UBL 2.1 CreditNote has no DueDate);
/// the refund route is not known yet, so the means is "1" (not defined).
///
/// A Danish domestic Peppol BIS invoice may not use 30 (DK-R-005 allows 1 10 31 42 48 49 50 58 59 93
/// 97). It gets 31, the code Danish e-invoicing (OIOUBL, the Danish Peppol guidance) uses for a bank
/// transfer to an account given with its bank identifier, in any currency; 58 (SEPA credit transfer)
/// would misstate a DKK invoice, and 42 is the domestic registration-number form. With 31, DK-R-006 asks
/// for the bank identifier too, which validation requires for these invoices.
fn write_payment<W: Write>(
    x: &mut X<W>,
    invoice: &InvoiceInput,
    number: &str,
    credit: bool,
) -> io::Result<()> {
    if credit {
        if let Some(due) = invoice.due_date {
            x.start("cac:PaymentMeans")?;
            x.text("cbc:PaymentMeansCode", "1")?;
            x.date("cbc:PaymentDueDate", due)?;
            x.end("cac:PaymentMeans")?;
        }
        return Ok(());
    }
    let Some(bank) = &invoice.seller.bank_account else {
        return Ok(());
    };
    let code = if invoice.resolved_format() == Format::PeppolBis3 && invoice.is_domestic("DK") {
        "31"
    } else {
        "30"
    };
    x.start("cac:PaymentMeans")?;
    x.text("cbc:PaymentMeansCode", code)?;
    x.text(
        "cbc:PaymentID",
        invoice.payment_reference.as_deref().unwrap_or(number),
    )?;
    x.start("cac:PayeeFinancialAccount")?;
    x.text("cbc:ID", &bank.account_id)?;
    x.opt_text("cbc:Name", bank.account_name.as_deref())?;
    if let Some(bank_id) = bank.bank_id.as_deref() {
        x.start("cac:FinancialInstitutionBranch")?;
        x.text("cbc:ID", bank_id)?;
        x.end("cac:FinancialInstitutionBranch")?;
    }
    x.end("cac:PayeeFinancialAccount")?;
    x.end("cac:PaymentMeans")
}

/// The conversion rate into the tax currency, so a reader can recompute the tax-currency amounts.
fn write_exchange_rate<W: Write>(x: &mut X<W>, invoice: &InvoiceInput) -> io::Result<()> {
    let Some(tc) = &invoice.tax_currency else {
        return Ok(());
    };
    x.start("cac:TaxExchangeRate")?;
    x.text("cbc:SourceCurrencyCode", x.currency)?;
    x.text("cbc:TargetCurrencyCode", &tc.code)?;
    x.number("cbc:CalculationRate", tc.exchange_rate.get(), None)?;
    x.text("cbc:MathematicOperatorCode", "Multiply")?;
    x.end("cac:TaxExchangeRate")
}

fn write_tax_totals<W: Write>(x: &mut X<W>, totals: &Totals, format: Format) -> io::Result<()> {
    x.start("cac:TaxTotal")?;
    x.amount("cbc:TaxAmount", totals.tax_total)?;
    for b in &totals.breakdown {
        x.start("cac:TaxSubtotal")?;
        x.amount("cbc:TaxableAmount", b.taxable)?;
        x.amount("cbc:TaxAmount", b.tax)?;
        if format == Format::PeppolBis3 && b.category == TaxCategory::O {
            // DE-R-014 wants a rate (BT-119) on every breakdown row. EN 16931 forbids one for O only on
            // lines and document allowances/charges (BR-O-05..07), not here, so a Peppol BIS breakdown
            // states 0 for O. PINT JP documents keep their O rows without a rate.
            x.start("cac:TaxCategory")?;
            x.text("cbc:ID", b.category.code())?;
            x.text("cbc:Percent", "0")?;
            x.opt_text("cbc:TaxExemptionReason", b.exemption_reason.as_deref())?;
            x.tax_scheme()?;
            x.end("cac:TaxCategory")?;
        } else {
            x.tax_category(
                "cac:TaxCategory",
                b.category,
                b.rate,
                b.exemption_reason.as_deref(),
            )?;
        }
        x.end("cac:TaxSubtotal")?;
    }
    x.end("cac:TaxTotal")?;
    if let Some((code, total)) = &totals.tax_total_in_tax_currency {
        let decimals = seikyu_domain::calc::document_decimals(code).unwrap_or(2);
        x.start("cac:TaxTotal")?;
        x.amount_in("cbc:TaxAmount", *total, code, decimals)?;
        // PINT JP states the tax per rate in JPY too (ibt-190); Peppol BIS allows no subtotals here
        // (PEPPOL-EN16931-R053). Only the taxed rates: the breakdown of an exempt, export or
        // not-subject category must occur exactly once in the document (aligned-ibrp-e/g/o-01), and its
        // tax is zero in any currency.
        if format == Format::PintJp {
            for b in totals
                .breakdown
                .iter()
                .filter(|b| matches!(b.category, TaxCategory::S | TaxCategory::AA))
            {
                let Some(fx_tax) = b.tax_in_tax_currency else {
                    continue;
                };
                x.start("cac:TaxSubtotal")?;
                x.amount_in("cbc:TaxAmount", fx_tax, code, decimals)?;
                x.tax_category("cac:TaxCategory", b.category, b.rate, None)?;
                x.end("cac:TaxSubtotal")?;
            }
        }
        x.end("cac:TaxTotal")?;
    }
    Ok(())
}

fn write_monetary_total<W: Write>(
    x: &mut X<W>,
    invoice: &InvoiceInput,
    t: &Totals,
) -> io::Result<()> {
    x.start("cac:LegalMonetaryTotal")?;
    x.amount("cbc:LineExtensionAmount", t.line_total)?;
    x.amount("cbc:TaxExclusiveAmount", t.tax_exclusive)?;
    x.amount("cbc:TaxInclusiveAmount", t.tax_inclusive)?;
    let has = |kind| invoice.allowances_charges.iter().any(|ac| ac.kind == kind);
    if has(ChargeKind::Allowance) {
        x.amount("cbc:AllowanceTotalAmount", t.allowance_total)?;
    }
    if has(ChargeKind::Charge) {
        x.amount("cbc:ChargeTotalAmount", t.charge_total)?;
    }
    if invoice.prepaid_amount.is_some() {
        x.amount("cbc:PrepaidAmount", t.prepaid)?;
    }
    x.amount("cbc:PayableAmount", t.payable)?;
    x.end("cac:LegalMonetaryTotal")
}

fn write_line<W: Write>(
    x: &mut X<W>,
    index: usize,
    line: &seikyu_domain::Line,
    lt: &seikyu_domain::calc::LineTotals,
    credit: bool,
) -> io::Result<()> {
    let (el, qty_el) = if credit {
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    } else {
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    };
    x.start(el)?;
    match line.id.as_deref() {
        Some(id) => x.text("cbc:ID", id)?,
        None => {
            // Position from 1, as ubl_view() numbers lines.
            x.buf.clear();
            let _ = write!(x.buf, "{}", index + 1);
            x.flush_buf("cbc:ID", None)?;
        }
    }
    x.opt_text("cbc:Note", line.note.as_deref())?;
    x.number(
        qty_el,
        line.quantity.get(),
        Some(("unitCode", &line.unit_code)),
    )?;
    x.amount("cbc:LineExtensionAmount", lt.net)?;
    if let Some(p) = &line.period {
        x.period("cac:InvoicePeriod", p.start, p.end)?;
    }
    if let Some(r) = line.order_line_reference.as_deref() {
        x.start("cac:OrderLineReference")?;
        x.text("cbc:LineID", r)?;
        x.end("cac:OrderLineReference")?;
    }
    for (ac, amount) in line
        .allowances_charges
        .iter()
        .zip(&lt.allowance_charge_amounts)
    {
        let base = ac.base_amount.map_or(lt.gross, |b| b.get());
        x.allowance_charge(ac, *amount, Some(base), false)?;
    }
    x.start("cac:Item")?;
    x.opt_text("cbc:Description", line.description.as_deref())?;
    x.text("cbc:Name", &line.name)?;
    if let Some(id) = line.seller_item_id.as_deref() {
        x.start("cac:SellersItemIdentification")?;
        x.text("cbc:ID", id)?;
        x.end("cac:SellersItemIdentification")?;
    }
    x.tax_category(
        "cac:ClassifiedTaxCategory",
        line.tax_category,
        line.tax_rate.map(|r| r.get()),
        None,
    )?;
    x.end("cac:Item")?;
    x.start("cac:Price")?;
    x.number(
        "cbc:PriceAmount",
        line.unit_price.get(),
        Some(("currencyID", x.currency)),
    )?;
    x.end("cac:Price")?;
    x.end(el)
}

#[cfg(test)]
mod tests {
    use seikyu_domain::InvoiceInput;

    fn invoice(
        seller_cc: &str,
        buyer_cc: &str,
        format: &str,
        line: serde_json::Value,
    ) -> InvoiceInput {
        let json = serde_json::json!({
            "number": "N-1", "format": format, "issue_date": "2026-11-05", "due_date": "2026-11-30",
            "currency": "EUR", "buyer_reference": "R-1",
            "period": {"start": "2026-10-01", "end": "2026-10-31"},
            "seller": {"name": "S", "address": {"country": seller_cc},
                       "bank_account": {"account_id": "DK5000400440116243", "bank_id": "DABADKKK"}},
            "buyer": {"name": "B", "address": {"country": buyer_cc}, "customer_id": "CUST-1"},
            "lines": [line],
        });
        serde_json::from_value(json).expect("test invoice")
    }

    fn render(inv: &InvoiceInput) -> String {
        let totals = seikyu_domain::compute(inv).expect("computes");
        let out = super::render(inv, &totals, Vec::new()).expect("renders");
        String::from_utf8(out).expect("utf-8")
    }

    fn s_line() -> serde_json::Value {
        serde_json::json!({"name": "x", "quantity": "1", "unit_code": "C62", "unit_price": "10",
                           "tax_category": "S", "tax_rate": "25"})
    }

    fn o_line() -> serde_json::Value {
        serde_json::json!({"name": "x", "quantity": "1", "unit_code": "C62", "unit_price": "10",
                           "tax_category": "O", "exemption_reason": "not subject"})
    }

    #[test]
    fn danish_domestic_payment_code_and_no_buyer_identification() {
        let dk = render(&invoice("DK", "DK", "peppol_bis3", s_line()));
        assert!(dk.contains("<cbc:PaymentMeansCode>31</cbc:PaymentMeansCode>"));
        assert!(!dk.contains("PartyIdentification"));
        let cross = render(&invoice("DK", "SE", "peppol_bis3", s_line()));
        assert!(cross.contains("<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>"));
        assert!(cross.contains("<cac:PartyIdentification><cbc:ID>CUST-1</cbc:ID>"));
    }

    #[test]
    fn not_subject_to_tax_breakdown_states_zero_in_peppol_only() {
        let peppol = render(&invoice("DE", "DE", "peppol_bis3", o_line()));
        assert!(peppol.contains("<cac:TaxCategory><cbc:ID>O</cbc:ID><cbc:Percent>0</cbc:Percent>"));
        assert!(peppol.contains("<cac:ClassifiedTaxCategory><cbc:ID>O</cbc:ID><cac:TaxScheme>"));
        let pint = render(&invoice("JP", "JP", "pint_jp", o_line()));
        assert!(!pint.contains("<cbc:Percent>0</cbc:Percent>"));
    }
}
