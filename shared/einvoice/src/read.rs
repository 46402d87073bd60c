//! UBL 2.1 reader: an `Invoice` or `CreditNote` back into [`InvoiceInput`], plus the totals the document
//! states. It reads what [`crate::render`] writes exactly, and other senders' documents (such as the
//! official Peppol and PINT JP examples) as far as Seikyu's model reaches: elements the model has no
//! place for are skipped, and a price per base quantity becomes a price per unit.

use std::str::FromStr;

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;
use seikyu_domain::values::{Dec, DecimalKind, TaxRate};
use seikyu_domain::{
    Address, AllowanceCharge, BankAccount, Buyer, ChargeKind, Contact, DocumentType, Endpoint,
    Format, Identifier, InvoiceInput, InvoiceReference, Line, Period, Seller, TaxCategory,
    TaxCurrency,
};
use thiserror::Error;

use crate::{customization_id, profile_id};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a UBL Invoice or CreditNote (root element {0})")]
    NotUbl(String),
    #[error("{path}: missing")]
    Missing { path: String },
    #[error("{path}: '{value}' is not valid here ({why})")]
    Invalid {
        path: String,
        value: String,
        why: &'static str,
    },
}

/// The totals a document states (BG-22 and the breakdown), for comparison with a recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedTotals {
    pub line_total: Decimal,
    pub allowance_total: Option<Decimal>,
    pub charge_total: Option<Decimal>,
    pub tax_exclusive: Decimal,
    pub tax_total: Decimal,
    pub tax_total_in_tax_currency: Option<Decimal>,
    pub tax_inclusive: Decimal,
    pub prepaid: Option<Decimal>,
    pub payable: Decimal,
    /// (category, rate, taxable, tax) per breakdown row.
    pub breakdown: Vec<(TaxCategory, Option<Decimal>, Decimal, Decimal)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadDocument {
    pub invoice: InvoiceInput,
    pub totals: StatedTotals,
    /// The CustomizationID as written.
    pub customization_id: String,
}

/// A parsed element: local name, attributes, text and children. Documents are small (tens of KB), so a
/// tree keeps the mapping code plain.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

fn element(start: &BytesStart<'_>) -> Result<El, ReadError> {
    let mut el = El {
        name: local(start.name().as_ref()),
        ..El::default()
    };
    for a in start.attributes() {
        let a = a.map_err(|e| ReadError::Xml(e.to_string()))?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| ReadError::Xml(e.to_string()))?
            .into_owned();
        el.attrs.push((local(a.key.as_ref()), value));
    }
    Ok(el)
}

/// Maximum element depth; UBL needs about eight. Deeper input is rejected rather than risk the stack.
const MAX_DEPTH: usize = 64;

fn parse(xml: &str) -> Result<El, ReadError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<El> = Vec::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| ReadError::Xml(format!("at byte {}: {e}", reader.buffer_position())))?;
        match ev {
            Event::Start(s) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(ReadError::Xml("elements nested too deeply".into()));
                }
                stack.push(element(&s)?);
            }
            Event::Empty(s) => {
                let el = element(&s)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(ReadError::Xml("unbalanced end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| ReadError::Xml(e.to_string()))?
                } else {
                    match &*r.xml10_content() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        other => return Err(ReadError::Xml(format!("unknown entity &{other};"))),
                    }
                };
                if let (Some(el), Some(c)) = (stack.last_mut(), c) {
                    el.text.push(c);
                }
            }
            Event::Eof => return Err(ReadError::Xml("document ends inside an element".into())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn path(&self, names: &[&str]) -> Option<&El> {
        names.iter().try_fold(self, |el, n| el.child(n))
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text_of(&self, names: &[&str]) -> Option<String> {
        self.path(names).map(|e| e.text.clone())
    }
}

fn req<'a>(el: Option<&'a El>, path: &str) -> Result<&'a El, ReadError> {
    el.ok_or_else(|| ReadError::Missing { path: path.into() })
}

fn dec(el: &El, path: &str) -> Result<Decimal, ReadError> {
    let t = el.text.trim();
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| ReadError::Invalid {
            path: path.into(),
            value: t.into(),
            why: "not a decimal number",
        })
}

fn opt_dec(el: Option<&El>, path: &str) -> Result<Option<Decimal>, ReadError> {
    el.map(|e| dec(e, path)).transpose()
}

/// `value` as the bounded kind of number Seikyu's model holds ([`seikyu_domain::values`]).
fn bounded<K: DecimalKind>(value: Decimal, path: &str) -> Result<Dec<K>, ReadError> {
    Dec::new(value).map_err(|_| ReadError::Invalid {
        path: path.into(),
        value: value.to_string(),
        why: "outside the range or precision Seikyu accepts",
    })
}

fn opt_bounded<K: DecimalKind>(
    value: Option<Decimal>,
    path: &str,
) -> Result<Option<Dec<K>>, ReadError> {
    value.map(|v| bounded(v, path)).transpose()
}

fn date(el: &El, path: &str) -> Result<NaiveDate, ReadError> {
    NaiveDate::parse_from_str(el.text.trim(), "%Y-%m-%d").map_err(|_| ReadError::Invalid {
        path: path.into(),
        value: el.text.clone(),
        why: "not a YYYY-MM-DD date",
    })
}

fn opt_date(el: Option<&El>, path: &str) -> Result<Option<NaiveDate>, ReadError> {
    el.map(|e| date(e, path)).transpose()
}

fn category(el: &El, path: &str) -> Result<(TaxCategory, Option<TaxRate>), ReadError> {
    let id = req(el.child("ID"), path)?;
    let cat = TaxCategory::from_code(id.text.trim()).ok_or_else(|| ReadError::Invalid {
        path: format!("{path}/ID"),
        value: id.text.clone(),
        why: "not a tax category Seikyu handles (S, AA, E, Z, G, O)",
    })?;
    let rate_path = format!("{path}/Percent");
    let rate = opt_bounded(opt_dec(el.child("Percent"), &rate_path)?, &rate_path)?;
    Ok((cat, if cat == TaxCategory::O { None } else { rate }))
}

fn address(party: &El, path: &str) -> Result<Address, ReadError> {
    let a = req(
        party.child("PostalAddress"),
        &format!("{path}/PostalAddress"),
    )?;
    Ok(Address {
        street: a.text_of(&["StreetName"]),
        additional_street: a.text_of(&["AdditionalStreetName"]),
        city: a.text_of(&["CityName"]),
        postal_code: a.text_of(&["PostalZone"]),
        subdivision: a.text_of(&["CountrySubentity"]),
        country: req(
            a.path(&["Country", "IdentificationCode"]),
            &format!("{path}/PostalAddress/Country"),
        )?
        .text
        .clone(),
    })
}

fn endpoint(party: &El) -> Option<Endpoint> {
    party.child("EndpointID").map(|e| Endpoint {
        id: e.text.clone(),
        scheme: e.attr("schemeID").unwrap_or_default().to_string(),
    })
}

fn contact(party: &El) -> Option<Contact> {
    party.child("Contact").map(|c| Contact {
        name: c.text_of(&["Name"]),
        phone: c.text_of(&["Telephone"]),
        email: c.text_of(&["ElectronicMail"]),
    })
}

fn legal_id(party: &El) -> Option<Identifier> {
    party
        .path(&["PartyLegalEntity", "CompanyID"])
        .map(|e| Identifier {
            id: e.text.clone(),
            scheme: e.attr("schemeID").map(str::to_string),
        })
}

/// The party's tax registration: its VAT identifier (BT-31/48), else another tax registration (BT-32).
fn tax_id(party: &El) -> Option<String> {
    let scheme = |p: &El, s: &str| {
        p.text_of(&["TaxScheme", "ID"])
            .is_some_and(|id| id.trim() == s)
    };
    party
        .all("PartyTaxScheme")
        .find(|p| scheme(p, "VAT"))
        .or_else(|| party.all("PartyTaxScheme").next())
        .and_then(|p| p.text_of(&["CompanyID"]))
}

fn name(party: &El, path: &str) -> Result<String, ReadError> {
    Ok(req(
        party.path(&["PartyLegalEntity", "RegistrationName"]),
        &format!("{path}/PartyLegalEntity/RegistrationName"),
    )?
    .text
    .clone())
}

fn allowance_charge(
    el: &El,
    path: &str,
    document_level: bool,
) -> Result<AllowanceCharge, ReadError> {
    let indicator = req(el.child("ChargeIndicator"), path)?
        .text
        .trim()
        .to_string();
    let kind = match indicator.as_str() {
        "true" => ChargeKind::Charge,
        "false" => ChargeKind::Allowance,
        _ => {
            return Err(ReadError::Invalid {
                path: format!("{path}/ChargeIndicator"),
                value: indicator,
                why: "must be true or false",
            });
        }
    };
    let amount = dec(
        req(el.child("Amount"), &format!("{path}/Amount"))?,
        &format!("{path}/Amount"),
    )?;
    let percent = opt_dec(el.child("MultiplierFactorNumeric"), path)?;
    let base = opt_dec(el.child("BaseAmount"), path)?;
    // A percent with a base is how Seikyu writes a computed amount; keep that form so it reads back as given.
    let (amount, percent, base_amount) = match (percent, base) {
        (Some(p), Some(b)) => (
            None,
            Some(bounded(p, &format!("{path}/MultiplierFactorNumeric"))?),
            Some(bounded(b, &format!("{path}/BaseAmount"))?),
        ),
        _ => (
            Some(bounded(amount, &format!("{path}/Amount"))?),
            None,
            None,
        ),
    };
    let (tax_category, tax_rate) = match (document_level, el.child("TaxCategory")) {
        (true, Some(tc)) => {
            let (c, r) = category(tc, &format!("{path}/TaxCategory"))?;
            (Some(c), r)
        }
        _ => (None, None),
    };
    Ok(AllowanceCharge {
        kind,
        amount,
        percent,
        base_amount,
        reason: el.text_of(&["AllowanceChargeReason"]),
        reason_code: el.text_of(&["AllowanceChargeReasonCode"]),
        tax_category,
        tax_rate,
        exemption_reason: None,
    })
}

/// Read a UBL document.
///
/// Kept whole (about 300 lines): it is one pass over the parsed tree that fills the input field by
/// field, in the order of the UBL schema, so it reads like the mapping table it is; split into
/// helpers it would scatter that order over many small functions.
pub fn read(xml: &str) -> Result<ReadDocument, ReadError> {
    let root = parse(xml)?;
    let credit = match root.name.as_str() {
        "Invoice" => false,
        "CreditNote" => true,
        other => return Err(ReadError::NotUbl(other.into())),
    };
    let r = &root;
    let cid = r.text_of(&["CustomizationID"]).unwrap_or_default();
    let format = if cid.trim() == customization_id(Format::PintJp) || cid.contains("@jp-1") {
        Format::PintJp
    } else {
        Format::PeppolBis3
    };
    let _ = profile_id;

    let currency = req(r.child("DocumentCurrencyCode"), "DocumentCurrencyCode")?
        .text
        .trim()
        .to_string();
    let rate = r
        .child("TaxExchangeRate")
        .map(|x| {
            opt_dec(
                x.child("CalculationRate"),
                "TaxExchangeRate/CalculationRate",
            )
        })
        .transpose()?
        .flatten();
    let tax_currency = r
        .text_of(&["TaxCurrencyCode"])
        .map(|code| -> Result<TaxCurrency, ReadError> {
            let path = "TaxExchangeRate/CalculationRate";
            let rate = rate.ok_or_else(|| ReadError::Missing { path: path.into() })?;
            Ok(TaxCurrency {
                code: code.trim().to_string(),
                exchange_rate: bounded(rate, path)?,
            })
        })
        .transpose()?;

    let sp = req(
        r.path(&["AccountingSupplierParty", "Party"]),
        "AccountingSupplierParty/Party",
    )?;
    let bp = req(
        r.path(&["AccountingCustomerParty", "Party"]),
        "AccountingCustomerParty/Party",
    )?;

    // The invoice's own payment means with a payee account is where the seller is paid.
    let bank_account = r
        .all("PaymentMeans")
        .find_map(|pm| pm.child("PayeeFinancialAccount"))
        .map(|acc| BankAccount {
            account_id: acc.text_of(&["ID"]).unwrap_or_default(),
            account_name: acc.text_of(&["Name"]),
            bank_id: acc.text_of(&["FinancialInstitutionBranch", "ID"]),
        });
    let due_date = if credit {
        r.all("PaymentMeans")
            .find_map(|pm| pm.child("PaymentDueDate"))
            .map(|d| date(d, "PaymentMeans/PaymentDueDate"))
            .transpose()?
    } else {
        opt_date(r.child("DueDate"), "DueDate")?
    };

    let seller = Seller {
        name: name(sp, "AccountingSupplierParty/Party")?,
        trading_name: sp.text_of(&["PartyName", "Name"]),
        address: address(sp, "AccountingSupplierParty/Party")?,
        tax_id: tax_id(sp),
        registrant_kind: None,
        legal_id: legal_id(sp),
        endpoint: endpoint(sp),
        contact: contact(sp),
        bank_account,
        tax_rounding: None,
    };
    let buyer = Buyer {
        name: name(bp, "AccountingCustomerParty/Party")?,
        trading_name: bp.text_of(&["PartyName", "Name"]),
        address: address(bp, "AccountingCustomerParty/Party")?,
        // Seikyu writes the agency's customer id here; another issuer's identifier (a GLN with a
        // scheme, "654321:000321:0147:1") is not one and is left out.
        customer_id: bp
            .text_of(&["PartyIdentification", "ID"])
            .and_then(|id| seikyu_domain::id::Id::parse(id.trim()).ok()),
        tax_id: tax_id(bp),
        legal_id: legal_id(bp),
        endpoint: endpoint(bp),
        contact: contact(bp),
    };

    // Exemption reasons live in the breakdown; give them back to the items of their group.
    let tax_total = r
        .all("TaxTotal")
        .find(|t| {
            t.child("TaxAmount").and_then(|a| a.attr("currencyID")) == Some(currency.as_str())
        })
        .ok_or(ReadError::Missing {
            path: "TaxTotal".into(),
        })?;
    let mut breakdown = Vec::new();
    let mut reasons: Vec<((TaxCategory, Option<Decimal>), String)> = Vec::new();
    for (i, st) in tax_total.all("TaxSubtotal").enumerate() {
        let p = format!("TaxTotal/TaxSubtotal[{}]", i + 1);
        let tc = req(st.child("TaxCategory"), &p)?;
        let (cat, rate) = category(tc, &format!("{p}/TaxCategory"))?;
        let taxable = dec(req(st.child("TaxableAmount"), &p)?, &p)?;
        let tax = dec(req(st.child("TaxAmount"), &p)?, &p)?;
        if let Some(reason) = tc.text_of(&["TaxExemptionReason"]) {
            reasons.push(((cat, rate.map(|r| r.normalize())), reason));
        }
        breakdown.push((cat, rate.map(|r| r.get()), taxable, tax));
    }
    let reason_for = |cat: TaxCategory, rate: Option<Decimal>| {
        reasons
            .iter()
            .find(|(k, _)| *k == (cat, rate.map(|r| r.normalize())))
            .map(|(_, v)| v.clone())
    };

    let decimals = seikyu_domain::calc::document_decimals(&currency).unwrap_or(2);
    let (line_el, qty_el) = if credit {
        ("CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceLine", "InvoicedQuantity")
    };
    let mut lines = Vec::new();
    let mut reason_given: Vec<(TaxCategory, Option<Decimal>)> = Vec::new();
    for (i, l) in r.all(line_el).enumerate() {
        let p = format!("{line_el}[{}]", i + 1);
        let q = req(l.child(qty_el), &format!("{p}/{qty_el}"))?;
        let item = req(l.child("Item"), &format!("{p}/Item"))?;
        let tc = req(
            item.child("ClassifiedTaxCategory"),
            &format!("{p}/Item/ClassifiedTaxCategory"),
        )?;
        let (cat, rate) = category(tc, &format!("{p}/Item/ClassifiedTaxCategory"))?;
        let price_el = req(
            l.path(&["Price", "PriceAmount"]),
            &format!("{p}/Price/PriceAmount"),
        )?;
        let mut unit_price = dec(price_el, &format!("{p}/Price/PriceAmount"))?;
        let base_quantity = opt_dec(
            l.path(&["Price", "BaseQuantity"]),
            &format!("{p}/Price/BaseQuantity"),
        )?;
        if let Some(bq) = base_quantity.filter(|bq| !bq.is_zero() && *bq != Decimal::ONE) {
            unit_price = unit_price.checked_div(bq).unwrap_or(unit_price);
        }
        let quantity = dec(q, &format!("{p}/{qty_el}"))?;
        // A line percent's base defaults to quantity x price; only a different base was given explicitly.
        let default_base = quantity
            .checked_mul(unit_price)
            .map(|g| seikyu_domain::money::round_amount(g, decimals));
        let mut acs = Vec::new();
        for (j, ac) in l.all("AllowanceCharge").enumerate() {
            let mut a = allowance_charge(ac, &format!("{p}/AllowanceCharge[{}]", j + 1), false)?;
            if a.base_amount.is_some() && a.base_amount.map(|b| b.get()) == default_base {
                a.base_amount = None;
            }
            acs.push(a);
        }
        let period = l
            .child("InvoicePeriod")
            .map(|ip| -> Result<Period, ReadError> {
                Ok(Period {
                    start: opt_date(ip.child("StartDate"), &p)?,
                    end: opt_date(ip.child("EndDate"), &p)?,
                })
            });
        let key = (cat, rate.map(|r| r.normalize()));
        let exemption_reason = if cat.needs_exemption_reason() {
            reason_given.push(key);
            reason_for(cat, rate.map(|r| r.get()))
        } else {
            None
        };
        lines.push(Line {
            id: l.text_of(&["ID"]),
            name: req(item.child("Name"), &format!("{p}/Item/Name"))?
                .text
                .clone(),
            description: item.text_of(&["Description"]),
            seller_item_id: item.text_of(&["SellersItemIdentification", "ID"]),
            quantity: bounded(quantity, &format!("{p}/{qty_el}"))?,
            unit_code: q.attr("unitCode").unwrap_or_default().to_string(),
            unit_price: bounded(unit_price, &format!("{p}/Price/PriceAmount"))?,
            tax_category: cat,
            tax_rate: rate,
            exemption_reason,
            allowances_charges: acs,
            period: period.transpose()?,
            order_line_reference: l.text_of(&["OrderLineReference", "LineID"]),
            note: l.text_of(&["Note"]),
        });
    }

    let mut allowances_charges = Vec::new();
    for (j, ac) in r.all("AllowanceCharge").enumerate() {
        let mut a = allowance_charge(ac, &format!("AllowanceCharge[{}]", j + 1), true)?;
        if let Some(cat) = a.tax_category {
            let key = (cat, a.tax_rate.map(|r| r.normalize()));
            // Only where no line of the group carries the reason already.
            if cat.needs_exemption_reason() && !reason_given.contains(&key) {
                a.exemption_reason = reason_for(cat, a.tax_rate.map(|r| r.get()));
                reason_given.push(key);
            }
        }
        allowances_charges.push(a);
    }

    let mt = req(r.child("LegalMonetaryTotal"), "LegalMonetaryTotal")?;
    let m = |n: &str| -> Result<Decimal, ReadError> {
        let p = format!("LegalMonetaryTotal/{n}");
        dec(req(mt.child(n), &p)?, &p)
    };
    let mo = |n: &str| opt_dec(mt.child(n), &format!("LegalMonetaryTotal/{n}"));
    let totals = StatedTotals {
        line_total: m("LineExtensionAmount")?,
        allowance_total: mo("AllowanceTotalAmount")?,
        charge_total: mo("ChargeTotalAmount")?,
        tax_exclusive: m("TaxExclusiveAmount")?,
        tax_total: dec(
            req(tax_total.child("TaxAmount"), "TaxTotal/TaxAmount")?,
            "TaxTotal/TaxAmount",
        )?,
        tax_total_in_tax_currency: tax_currency
            .as_ref()
            .and_then(|tc| {
                r.all("TaxTotal")
                    .filter_map(|t| t.child("TaxAmount"))
                    .find(|a| a.attr("currencyID") == Some(tc.code.as_str()))
            })
            .map(|a| dec(a, "TaxTotal/TaxAmount"))
            .transpose()?,
        tax_inclusive: m("TaxInclusiveAmount")?,
        prepaid: mo("PrepaidAmount")?,
        payable: m("PayableAmount")?,
        breakdown,
    };

    let preceding_invoice = r
        .path(&["BillingReference", "InvoiceDocumentReference"])
        .map(|d| -> Result<InvoiceReference, ReadError> {
            Ok(InvoiceReference {
                number: d.text_of(&["ID"]).unwrap_or_default(),
                issue_date: opt_date(
                    d.child("IssueDate"),
                    "BillingReference/InvoiceDocumentReference/IssueDate",
                )?,
            })
        })
        .transpose()?;

    let invoice = InvoiceInput {
        document_type: if credit {
            DocumentType::CreditNote
        } else {
            DocumentType::Invoice
        },
        number: Some(req(r.child("ID"), "ID")?.text.clone()),
        format: Some(format),
        issue_date: date(req(r.child("IssueDate"), "IssueDate")?, "IssueDate")?,
        due_date,
        currency,
        tax_currency,
        seller,
        buyer,
        lines,
        allowances_charges,
        period: r
            .child("InvoicePeriod")
            .map(|ip| -> Result<Period, ReadError> {
                Ok(Period {
                    start: opt_date(ip.child("StartDate"), "InvoicePeriod/StartDate")?,
                    end: opt_date(ip.child("EndDate"), "InvoicePeriod/EndDate")?,
                })
            })
            .transpose()?,
        delivery_date: opt_date(
            r.path(&["Delivery", "ActualDeliveryDate"]),
            "Delivery/ActualDeliveryDate",
        )?,
        payment_terms: r.text_of(&["PaymentTerms", "Note"]),
        // A payment id other than the number is the payer's reference (payer code, RF).
        payment_reference: r
            .all("PaymentMeans")
            .find_map(|pm| pm.text_of(&["PaymentID"]))
            .filter(|id| r.text_of(&["ID"]).as_deref() != Some(id.as_str())),
        note: r.text_of(&["Note"]),
        buyer_reference: r.text_of(&["BuyerReference"]),
        order_reference: r.text_of(&["OrderReference", "ID"]),
        contract_reference: r.text_of(&["ContractDocumentReference", "ID"]),
        preceding_invoice,
        prepaid_amount: opt_bounded(totals.prepaid, "LegalMonetaryTotal/PrepaidAmount")?,
    };
    Ok(ReadDocument {
        invoice,
        totals,
        customization_id: cid,
    })
}
