//! The HTML a person opens: what a buyer, a seller or an item name holds is text, never markup.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use seikyu_documents::{invoice, receipt};

const HOSTILE: &str = "<script>alert('x')</script> & \"Co\"";
const ESCAPED: &str = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;";

fn hostile() -> Invoice {
    let mut inv = jp_mixed();
    inv.input.buyer.name = HOSTILE.into();
    inv.input.seller.name = format!("{HOSTILE} seller");
    inv.input.lines[0].name = format!("{HOSTILE} item");
    inv.input.seller.address.city = Some("<img src=x onerror=alert(1)>".into());
    inv
}

fn assert_no_markup(html: &str) {
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains(ESCAPED), "{html}");
}

#[test]
fn the_invoice_html_escapes_names() {
    let inv = hostile();
    let html = invoice::html_body(&inv.doc());
    assert_no_markup(&html);
    assert!(html.contains(&format!("<p>{ESCAPED} 御中 / Dear {ESCAPED},</p>")));
    assert!(html.contains(&format!("<td>{ESCAPED} item ※</td>")));
}

#[test]
fn the_receipt_html_escapes_names() {
    let inv = hostile();
    let mut r = receipt_full(&inv);
    r.purpose = HOSTILE;
    r.payment = HOSTILE;
    r.method = Some(HOSTILE);
    r.replaces = Some(HOSTILE);
    let html = receipt::html(&r);
    assert_no_markup(&html);
    assert!(html.contains(&format!("<p>{ESCAPED} 様 / To: {ESCAPED}</p>")));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn the_receipt_states_what_a_qualified_receipt_must() {
    let inv = jp_mixed();
    let html = receipt::html(&receipt_full(&inv));
    for want in [
        "<p>No. AOZ-R-2026-000002<br>発行日 / Date: 2026-11-20</p>",
        "本領収書は領収書 AOZ-R-2026-000001 に代わるものです。",
        "金額 / Amount received: 60,000 JPY",
        "<td>2026-10-01 – 2026-10-31</td>",
        "<tr><td>10% 対象 / standard rate</td><td align=\"right\">26,015 JPY</td><td align=\"right\">2,365 JPY</td></tr>",
        "<tr><td>8% 対象 ※軽減税率 / reduced rate</td><td align=\"right\">32,529 JPY</td><td align=\"right\">2,409 JPY</td></tr>",
        "うち 1,456 JPY は請求額を超えるお支払",
        "登録番号 / Registration number: T2010401023456",
        "※印は軽減税率対象品目です。",
    ] {
        assert!(html.contains(want), "{want}");
    }
    assert!(!html.contains("一部のお支払"), "paid in full");

    let part = receipt::html(&receipt_part(&inv));
    assert!(part.contains("一部のお支払のため"));
    assert!(!part.contains("預り金"), "no credit");
    assert!(part.contains("<tr><th>お支払方法 / Paid by</th><td>card</td></tr>"));
}

#[test]
fn a_foreign_issuer_shows_its_vat_id() {
    let inv = eu_eur();
    let mut r = receipt_part(&inv);
    r.issuer_registration = Some("BE0123456749");
    r.breakdown = vec![receipt::RateAmount {
        category: "K",
        rate: Some(d("0")),
        amount: d("10000"),
        tax: d("0"),
    }];
    let html = receipt::html(&r);
    assert!(html.contains("<br>VAT ID: BE0123456749"));
    assert!(
        html.contains("<td>K 0%</td>"),
        "unknown codes keep the old label"
    );
    assert!(!html.contains("※印"));
}

#[test]
fn long_invoices_are_cut_in_the_mail() {
    let mut inv = jp_mixed();
    let line = inv.input.lines[2].clone();
    inv.input.lines = vec![line; 60];
    let inv = Invoice::from_input(inv.input);
    let text = invoice::text_body(&inv.doc());
    assert_eq!(text.matches("会議室使用料").count(), 50);
    assert!(text.contains("  … 他 10 行 / and 10 more lines (see the attachment)\n"));
    let html = invoice::html_body(&inv.doc());
    assert!(html.contains("<p>… 他 10 行 / and 10 more lines (see the attachment)</p>"));
    let r = receipt_part(&inv);
    let page = receipt::html(&r);
    assert_eq!(page.matches("<li>会議室使用料</li>").count(), 10);
    assert!(page.contains("<li>… 他 50 件 / and 50 more (see invoice AOZ-2026-000103)</li>"));
}
