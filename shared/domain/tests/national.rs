//! Peppol BIS national rules and the EN 16931 rules Peppol BIS data can fail: cases the fixtures
//! (tests/fixtures, scripts/gen-fixtures.py) do not show.

use seikyu_domain::*;

fn invoice(
    seller: serde_json::Value,
    buyer: serde_json::Value,
    lines: serde_json::Value,
) -> InvoiceInput {
    let json = serde_json::json!({
        "number": "N-1", "issue_date": "2026-11-05", "due_date": "2026-11-30", "currency": "EUR",
        "seller": seller, "buyer": buyer, "lines": lines,
    });
    serde_json::from_value(json).expect("test invoice")
}

fn errors(inv: &InvoiceInput) -> Vec<(String, &'static str)> {
    match validate(inv) {
        Ok(()) => vec![],
        Err(e) => e
            .errors
            .into_iter()
            .map(|e| (e.path, e.code.as_str()))
            .collect(),
    }
}

fn endpoint() -> serde_json::Value {
    serde_json::json!({"id": "0123456749", "scheme": "0208"})
}

fn s_line() -> serde_json::Value {
    serde_json::json!([{"name": "x", "quantity": "1", "unit_code": "C62", "unit_price": "10",
                        "tax_category": "S", "tax_rate": "21"}])
}

#[test]
fn a_greek_seller_by_address_is_refused_at_its_country() {
    let inv = invoice(
        serde_json::json!({"name": "S", "address": {"country": "GR"}, "legal_id": {"id": "1"}, "endpoint": endpoint()}),
        serde_json::json!({"name": "B", "address": {"country": "BE"}, "endpoint": endpoint()}),
        serde_json::json!([{"name": "x", "quantity": "1", "unit_code": "C62", "unit_price": "10",
                            "tax_category": "O", "exemption_reason": "n/a"}]),
    );
    let mut inv = inv;
    inv.buyer_reference = Some("R".into());
    assert_eq!(
        errors(&inv),
        vec![("seller.address.country".to_string(), "peppol_gr_r_001")]
    );
}

#[test]
fn german_domestic_without_any_reference_is_reported_once() {
    let seller = serde_json::json!({
        "name": "S", "tax_id": "DE136695976", "endpoint": endpoint(),
        "address": {"city": "Köln", "postal_code": "50667", "country": "DE"},
        "contact": {"name": "A", "phone": "+49 221 1234567", "email": "a@example.de"},
        "bank_account": {"account_id": "DE89370400440532013000"}});
    let buyer = serde_json::json!({"name": "B", "endpoint": endpoint(),
        "address": {"city": "Bonn", "postal_code": "53111", "country": "DE"}});
    let inv = invoice(seller, buyer, s_line());
    assert_eq!(
        errors(&inv),
        vec![("buyer_reference".to_string(), "peppol_de_r_015")]
    );
}

#[test]
fn a_taxed_document_allowance_needs_the_seller_vat_id_too() {
    let mut inv = invoice(
        serde_json::json!({"name": "S", "address": {"country": "BE"}, "legal_id": {"id": "0123456749", "scheme": "0208"}, "endpoint": endpoint()}),
        serde_json::json!({"name": "B", "address": {"country": "BE"}, "endpoint": endpoint()}),
        serde_json::json!([{"name": "x", "quantity": "1", "unit_code": "C62", "unit_price": "10",
                            "tax_category": "O", "exemption_reason": "n/a"}]),
    );
    inv.buyer_reference = Some("R".into());
    assert_eq!(errors(&inv), vec![]);
    inv.allowances_charges = serde_json::from_value(serde_json::json!([
        {"kind": "charge", "amount": "1", "reason": "Freight", "tax_category": "S", "tax_rate": "21"}]))
    .expect("charge");
    let got = errors(&inv);
    assert!(
        got.contains(&("seller.tax_id".to_string(), "required")),
        "{got:?}"
    );
}

#[test]
fn a_japanese_registration_number_is_no_vat_id_in_peppol() {
    // Not subject to tax: allowed with a T number (BT-32), refused with a VAT id (BR-O-02).
    let seller = |tax_id: &str| {
        serde_json::json!({
        "name": "S", "tax_id": tax_id, "registrant_kind": "corporation", "address": {"country": "JP"},
        "legal_id": {"id": "2010401023456", "scheme": "0188"}, "endpoint": {"id": "7000012050002", "scheme": "0188"}})
    };
    let buyer =
        serde_json::json!({"name": "B", "address": {"country": "BE"}, "endpoint": endpoint()});
    let o = serde_json::json!([{"name": "x", "quantity": "1", "unit_code": "C62", "unit_price": "10",
                                "tax_category": "O", "exemption_reason": "n/a"}]);
    let mut inv = invoice(seller("T2010401023456"), buyer.clone(), o.clone());
    inv.format = Some(Format::PeppolBis3);
    inv.buyer_reference = Some("R".into());
    assert_eq!(errors(&inv), vec![]);
    let mut inv = invoice(seller("JP2010401023456"), buyer, o);
    inv.format = Some(Format::PeppolBis3);
    inv.buyer_reference = Some("R".into());
    assert_eq!(
        errors(&inv),
        vec![("seller.tax_id".to_string(), "not_allowed")]
    );
}

#[test]
fn national_rules_do_not_apply_to_pint_jp() {
    let mut inv = invoice(
        serde_json::json!({"name": "S", "address": {"country": "DE"}, "endpoint": endpoint()}),
        serde_json::json!({"name": "B", "address": {"country": "DE"}, "endpoint": endpoint()}),
        s_line(),
    );
    inv.format = Some(Format::PintJp);
    let got = errors(&inv);
    assert!(
        got.iter().all(|(_, code)| !code.starts_with("peppol_")),
        "{got:?}"
    );
}
