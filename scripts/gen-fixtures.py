#!/usr/bin/env python3
"""Write the invoice fixtures in tests/fixtures/ (committed; rerun after changing this file).

valid/*.json      inputs that must validate, render and pass the official rules with zero fatal findings.
invalid/*.json    inputs that must be refused; invalid/*.expected.json lists the (path, code) pairs.

Identifiers are made up but well formed: corporate numbers carry a correct check digit
(平成26年財務省令第70号 第2条), the Belgian enterprise number and GLNs their check digits.
"""
import copy, json, os, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def corp(base12: str) -> str:
    s = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(reversed(base12)))
    return f"{9 - s % 9}{base12}"


def gln(base12: str) -> str:
    s = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(base12)))
    return base12 + str((10 - s % 10) % 10)


SELLER_CORP = corp("010401023456")
BUYER_CORP = corp("020001077777")
BUYER2_CORP = corp("120001088888")

JP_SELLER = {
    "name": "株式会社青空商事",
    "address": {"street": "千代田一丁目1番1号", "additional_street": "青空ビル5階", "city": "千代田区",
                "postal_code": "100-0001", "subdivision": "東京都", "country": "JP"},
    "tax_id": "T" + SELLER_CORP,
    "registrant_kind": "corporation",
    "legal_id": {"id": SELLER_CORP, "scheme": "0188"},
    "endpoint": {"id": SELLER_CORP, "scheme": "0188"},
    "contact": {"name": "経理部 山田 花子", "phone": "03-1234-5678", "email": "billing@aozora.example.jp"},
    "bank_account": {"account_id": "普通 1234567", "account_name": "カ)アオゾラシヨウジ", "bank_id": "0001-100"},
}
JP_BUYER = {
    "name": "有限会社みどり食品",
    "address": {"street": "梅田三丁目2番2号", "city": "大阪市北区", "postal_code": "530-0001",
                "subdivision": "大阪府", "country": "JP"},
    "customer_id": "CUST-0042",
    "endpoint": {"id": BUYER_CORP, "scheme": "0188"},
    "contact": {"name": "購買課 佐藤", "email": "ap@midori.example.jp"},
}
JP_BASE = {
    "number": "AOZ-2026-000101",
    "issue_date": "2026-11-05",
    "due_date": "2026-11-30",
    "currency": "JPY",
    "period": {"start": "2026-10-01", "end": "2026-10-31"},
    "payment_terms": "月末締め翌月末払い / Payment by the end of the following month",
    "seller": JP_SELLER,
    "buyer": JP_BUYER,
    "lines": [],
}

BE_SELLER = {
    "name": "Brussels Widgets SA",
    "address": {"street": "Rue de la Loi 16", "city": "Bruxelles", "postal_code": "1000", "country": "BE"},
    "tax_id": "BE0123456749",
    "legal_id": {"id": "0123456749", "scheme": "0208"},
    "endpoint": {"id": "0123456749", "scheme": "0208"},
    "contact": {"name": "Accounts receivable", "email": "ar@widgets.example.be"},
    "bank_account": {"account_id": "BE68539007547034", "account_name": "Brussels Widgets SA", "bank_id": "GEBABEBB"},
}
DE_BUYER = {
    "name": "Kölner Handel GmbH",
    "address": {"street": "Domkloster 4", "city": "Köln", "postal_code": "50667", "country": "DE"},
    "tax_id": "DE123456789",
    "endpoint": {"id": gln("400000112345"), "scheme": "0088"},
}
EU_BASE = {
    "format": "peppol_bis3",
    "number": "BW-2026-0042",
    "issue_date": "2026-11-05",
    "due_date": "2026-12-05",
    "currency": "EUR",
    "buyer_reference": "PO-DE-7781",
    "seller": BE_SELLER,
    "buyer": DE_BUYER,
    "lines": [],
}


def line(name, qty, price, cat="S", rate="10", unit="H87", **kw):
    l = {"name": name, "quantity": qty, "unit_code": unit, "unit_price": price, "tax_category": cat}
    if rate is not None:
        l["tax_rate"] = rate
    l.update(kw)
    return l


def jp(**kw):
    d = copy.deepcopy(JP_BASE)
    d.update(kw)
    return d


def eu(**kw):
    d = copy.deepcopy(EU_BASE)
    d.update(kw)
    return d


TEN_LINES = [
    line("コピー用紙 A4 500枚", "10", "480"),
    line("ボールペン 黒 10本入", "5", "650"),
    line("ホッチキス針 No.10", "20", "98"),
    line("クリアファイル A4 100枚", "3", "1280"),
    line("付箋 75x75mm", "12", "210"),
    line("ミネラルウォーター 2L x 6本", "4", "698", cat="AA", rate="8", unit="C62",
         description="軽減税率対象 (飲料)"),
    line("コーヒー豆 500g", "2", "1650", cat="AA", rate="8", unit="C62"),
    line("保守サービス 10月分", "1", "15000", unit="C62", seller_item_id="SVC-MAINT"),
    line("作業費 (時間)", "3.5", "4200", unit="HUR"),
    line("配送料", "1", "800", unit="C62"),
]

valid = {
    "jp-standard-10-lines": jp(lines=TEN_LINES, note="いつもお引き立ていただきありがとうございます。"),
    "jp-three-lines-105-yen-floor": jp(number="AOZ-2026-000102", lines=[line("検品手数料", "1", "105", unit="C62")] * 3),
    "jp-mixed-standard-reduced": jp(number="AOZ-2026-000103", lines=[
        line("お弁当 幕の内", "30", "864", cat="AA", rate="8", unit="C62"),
        line("緑茶 500ml", "30", "140", cat="AA", rate="8", unit="C62"),
        line("会議室使用料", "1", "22000", unit="C62"),
        line("割り箸・紙皿セット", "30", "55", unit="C62"),
    ]),
    "jp-exempt-and-export": jp(number="AOZ-2026-000104", lines=[
        line("土地賃貸料 10月分", "1", "300000", cat="E", rate="0", unit="C62",
             exemption_reason="非課税 (土地の貸付け, 消費税法別表第二第一号)"),
        line("輸出用 部品一式", "200", "1250", cat="G", rate="0",
             exemption_reason="輸出免税 (消費税法第7条)"),
        line("梱包作業", "1", "18000", unit="C62"),
    ]),
    "jp-not-subject-to-tax": jp(number="AOZ-2026-000105", lines=[
        line("コンサルティング", "8", "12500", unit="HUR"),
        line("立替金 (交通費実費)", "1", "4380", cat="O", rate=None, unit="C62",
             exemption_reason="不課税 (立替金)"),
    ]),
    "jp-line-allowances-charges": jp(number="AOZ-2026-000106", lines=[
        line("業務用プリンター", "2", "128000", unit="C62", allowances_charges=[
            {"kind": "allowance", "percent": "5", "reason": "数量割引", "reason_code": "95"}]),
        line("トナーカートリッジ", "6", "8800", unit="C62", allowances_charges=[
            {"kind": "allowance", "amount": "1000", "reason": "キャンペーン値引き"},
            {"kind": "charge", "amount": "1500", "reason": "特急手配料", "reason_code": "FC"}]),
        line("紅茶ティーバッグ 100袋", "5", "1180", cat="AA", rate="8", unit="C62", allowances_charges=[
            {"kind": "allowance", "amount": "200", "reason": "端数値引き"}]),
    ]),
    "jp-document-allowances-charges": jp(number="AOZ-2026-000107", lines=TEN_LINES[:7], allowances_charges=[
        {"kind": "allowance", "amount": "500", "reason": "年間契約割引", "reason_code": "95",
         "tax_category": "S", "tax_rate": "10"},
        {"kind": "allowance", "percent": "2", "base_amount": "6092", "reason": "食品 早期支払割引",
         "tax_category": "AA", "tax_rate": "8"},
        {"kind": "charge", "amount": "1200", "reason": "配送料 (離島)", "tax_category": "S", "tax_rate": "10"},
    ]),
    "jp-usd-with-jpy-tax-currency": jp(number="AOZ-2026-000108", currency="USD",
        tax_currency={"code": "JPY", "exchange_rate": "151.37"}, lines=[
            line("Software licence (annual)", "3", "1200.00", unit="C62"),
            line("Japanese snack assortment", "10", "24.95", cat="AA", rate="8", unit="C62"),
            line("Onboarding workshop", "6", "180.50", unit="HUR"),
        ], note="Amounts in USD; consumption tax also stated in JPY at TTM 151.37 JPY/USD."),
    "jp-500-lines": jp(number="AOZ-2026-000109", lines=[
        line(f"部品 {i:04d} ({'軽減' if i % 7 == 0 else '標準'})", str(1 + i % 13), str(37 + (i * 31) % 4000),
             cat="AA" if i % 7 == 0 else "S", rate="8" if i % 7 == 0 else "10", seller_item_id=f"P-{i:05d}")
        for i in range(1, 501)]),
    "jp-credit-note": jp(number="AOZ-CN-2026-0007", document_type="credit_note",
        preceding_invoice={"number": "AOZ-2026-000101", "issue_date": "2026-11-05"},
        due_date="2026-11-30", note="返品による減額 / Credit for returned goods", lines=[
            line("コピー用紙 A4 500枚 (返品)", "2", "480"),
            line("コーヒー豆 500g (破損)", "1", "1650", cat="AA", rate="8", unit="C62"),
        ]),
    "jp-long-names-and-addresses": jp(number="AOZ-2026-000110", seller=dict(JP_SELLER,
        name="一般財団法人" + "東日本地域産業振興技術開発支援機構" * 10 + "事業本部",
        trading_name="ひがしにほん産業振興機構" * 8,
        address={"street": "大字" + "上下左右前後東西南北" * 12 + "一丁目二番三号",
                 "additional_street": "国際産業振興センタービルディング本館" * 6 + "二十五階",
                 "city": "北海道上川郡東神楽町", "postal_code": "071-1500", "subdivision": "北海道", "country": "JP"}),
        lines=[line("長期技術支援業務委託費 (" + "調査・分析・報告書作成・" * 15 + "を含む)", "1", "2750000", unit="C62",
                    description="業務内容詳細: " + "現地調査、関係者ヒアリング、データ分析、中間報告、最終報告。" * 20)]),
    "jp-zero-priced-line": jp(number="AOZ-2026-000111", lines=[
        line("新製品サンプル (無償提供)", "3", "0", unit="C62", note="無償 / free of charge"),
        line("標準品", "10", "1980", unit="C62"),
    ]),
    "jp-very-large-totals": jp(number="AOZ-2026-000112", lines=[
        line("大型プラント設備一式", "900", "999999999999", unit="C62"),
        line("設備据付工事", "1", "850000000000", unit="C62"),
    ]),
    "jp-unicode-and-markup": jp(number="AOZ-2026-000113", note="<重要> \"請求書\" & 'ご確認' 🙏 — A&B <b>not bold</b>",
        buyer=dict(JP_BUYER, name="株式会社 <Ampersand & \"Quote\"> 'Apostrophe' 🍣"),
        lines=[line("寿司セット 🍣 <特上> & \"わさび\"抜き", "4", "3240", cat="AA", rate="8", unit="C62",
                    description="Emoji 🎉, math ∑∞, kana ｶﾀｶﾅ, CJK ext 𠮷野家, tab\tand newline\ninside"),
               line("Service <script>alert('x')</script> & co", "1", "5000", unit="C62")]),
    "jp-sole-proprietor": jp(number="YMD-2026-0031", seller=dict(JP_SELLER,
        name="山田 太郎 (山田デザイン事務所)", registrant_kind="other",
        # An individual's number: 13 digits assigned by the NTA, no corporate check digit.
        tax_id="T8123456789012", legal_id=None, bank_account={"account_id": "普通 7654321", "account_name": "ヤマダ タロウ"}),
        lines=[line("ロゴデザイン制作", "1", "165000", unit="C62"), line("名刺デザイン", "2", "22000", unit="C62")]),
    "jp-half-up-rounding": jp(number="AOZ-2026-000114", seller=dict(JP_SELLER, tax_rounding="half_up"),
        lines=[line("検品手数料", "1", "105", unit="C62")] * 3),
    "jp-ceiling-rounding": jp(number="AOZ-2026-000115", seller=dict(JP_SELLER, tax_rounding="ceiling"),
        lines=[line("部材", "7", "131", unit="C62"), line("飲料", "3", "151", cat="AA", rate="8", unit="C62")]),
    "jp-prepaid-amount": jp(number="AOZ-2026-000116", prepaid_amount="50000", lines=[
        line("イベント運営一式", "1", "380000", unit="C62")], payment_terms="前受金 50,000円を差し引いた残額をお支払いください。"),
    "jp-line-periods-only": jp(number="AOZ-2026-000117", period=None, lines=[
        line("クラウド利用料 9月", "1", "48000", unit="C62", period={"start": "2026-09-01", "end": "2026-09-30"}),
        line("クラウド利用料 10月", "1", "52000", unit="C62", period={"start": "2026-10-01", "end": "2026-10-31"}),
    ]),
    "jp-negative-correction-line": jp(number="AOZ-2026-000118", lines=[
        line("定期配送 11月", "20", "1500", unit="C62"),
        line("10月分 過請求の訂正", "-2", "1500", unit="C62", note="前回請求の数量誤り"),
    ]),
    "jp-seller-in-peppol-format": jp(number="AOZ-2026-000119", format="peppol_bis3", buyer_reference="CUST-0042",
        lines=[line("Green tea", "10", "1200", rate="8", unit="C62"), line("Teapot", "2", "5500", unit="C62")]),
    "jp-order-contract-delivery": jp(number="AOZ-2026-000120", order_reference="PO-2026-5531",
        contract_reference="基本契約 2024-07", buyer_reference="購買部 第二課", delivery_date="2026-10-28",
        lines=[line("制御盤", "2", "485000", unit="C62", order_line_reference="10"),
               line("配線工事", "16", "7500", unit="HUR", order_line_reference="20")]),
    "eu-peppol-eur-standard": eu(lines=[
        line("Widget, steel", "120", "4.35", rate="21"),
        line("Widget, brass", "40", "7.10", rate="21"),
        line("Technical manual (book)", "2", "39.90", rate="6", unit="C62"),
        line("Installation", "2.5", "85", rate="21", unit="HUR"),
    ], payment_terms="30 days net"),
    "eu-peppol-credit-note": eu(number="BW-CN-2026-0005", document_type="credit_note",
        preceding_invoice={"number": "BW-2026-0042", "issue_date": "2026-11-05"},
        lines=[line("Widget, steel (returned)", "20", "4.35", rate="21")]),
    "eu-peppol-exempt-zero-rated": eu(number="BW-2026-0043", lines=[
        line("Widget export kit", "10", "99", cat="Z", rate="0"),
        line("Financial service fee", "1", "250", cat="E", rate="0", unit="C62",
             exemption_reason="Exempt based on article 135(1)(d) of Council Directive 2006/112/EC"),
        line("Handling", "1", "45", rate="21", unit="C62"),
    ]),
    "eu-peppol-allowances": eu(number="BW-2026-0044", lines=[
        line("Widget, steel", "1000", "4.35", rate="21", allowances_charges=[
            {"kind": "allowance", "percent": "12.5", "reason": "Volume discount", "reason_code": "95"}]),
        line("Pallet", "4", "12", rate="21", unit="C62", allowances_charges=[
            {"kind": "charge", "amount": "8.50", "reason": "Pallet wrapping", "reason_code": "ABL"}]),
        line("Spare parts kit", "3", "20", rate="21", unit="C62", allowances_charges=[
            {"kind": "allowance", "percent": "10", "base_amount": "50", "reason": "Discount on the first 50 EUR"}]),
    ], allowances_charges=[
        {"kind": "allowance", "percent": "2", "base_amount": "3912.50", "reason": "Early payment",
         "tax_category": "S", "tax_rate": "21"},
        {"kind": "charge", "amount": "35", "reason": "Freight", "reason_code": "FC", "tax_category": "S", "tax_rate": "21"},
    ]),
    "eu-peppol-kwd-three-decimal": eu(number="BW-2026-0045", currency="KWD", lines=[
        line("Consulting day", "3", "412.125", rate="21", unit="DAY"),
        line("Travel package", "1", "96.3335", rate="21", unit="C62"),
    ]),
    "eu-peppol-usd-with-eur-tax-currency": eu(number="BW-2026-0046", currency="USD",
        tax_currency={"code": "EUR", "exchange_rate": "0.9234"}, lines=[
            line("Widget, steel", "500", "4.89", rate="21"),
            line("Service plan", "12", "49.99", rate="21", unit="MON"),
        ]),
}

# Invalid inputs: (fixture, [(path, code)]). Each starts from a valid invoice and breaks it.
def broken(base, mutate):
    d = copy.deepcopy(base)
    mutate(d)
    return d


def setp(d, path, value):
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[int(k)] if k.isdigit() else d[k]
    last = keys[-1]
    if value is DEL:
        del d[last]
    elif last.isdigit():
        d[int(last)] = value
    else:
        d[last] = value


DEL = object()
SIMPLE_JP = jp(lines=[line("コピー用紙", "10", "480")])
SIMPLE_EU = eu(lines=[line("Widget", "10", "4.35", rate="21")])

invalid = {
    "registration-check-digit": (broken(SIMPLE_JP, lambda d: setp(d, "seller.tax_id", "T" + str((int(SELLER_CORP[0]) % 9) + 1) + SELLER_CORP[1:])),
                                 [("seller.tax_id", "registration_check_digit")]),
    "registration-format": (broken(SIMPLE_JP, lambda d: setp(d, "seller.tax_id", "T12345")),
                            [("seller.tax_id", "invalid_registration_number")]),
    "registrant-kind-missing": (broken(SIMPLE_JP, lambda d: setp(d, "seller.registrant_kind", DEL)),
                                [("seller.registrant_kind", "required")]),
    "pint-jp-without-registration": (broken(SIMPLE_JP, lambda d: (setp(d, "seller.tax_id", DEL), setp(d, "seller.registrant_kind", DEL))),
                                     [("seller.tax_id", "required")]),
    "due-before-issue": (broken(SIMPLE_JP, lambda d: setp(d, "due_date", "2026-11-01")),
                         [("due_date", "due_before_issue")]),
    "no-lines": (broken(SIMPLE_JP, lambda d: setp(d, "lines", [])), [("lines", "no_lines")]),
    "xml-forbidden-character": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.name", "紙\u0001")),
                                [("lines[0].name", "invalid_character")]),
    "unit-code-unknown": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.unit_code", "PCS")),
                          [("lines[0].unit_code", "invalid_code")]),
    "reduced-category-in-peppol": (broken(SIMPLE_EU, lambda d: (setp(d, "lines.0.tax_category", "AA"), setp(d, "lines.0.tax_rate", "6"))),
                                   [("lines[0].tax_category", "tax_category_not_allowed")]),
    "zero-rated-z-in-pint-jp": (broken(SIMPLE_JP, lambda d: (setp(d, "lines.0.tax_category", "Z"), setp(d, "lines.0.tax_rate", "0"), setp(d, "lines.0.exemption_reason", "zero"))),
                                [("lines[0].tax_category", "tax_category_not_allowed"), ("lines[0].exemption_reason", "not_allowed")]),
    "japanese-standard-rate-wrong": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.tax_rate", "8")),
                                     [("lines[0].tax_rate", "tax_rate_not_allowed")]),
    "buyer-endpoint-missing": (broken(SIMPLE_JP, lambda d: setp(d, "buyer.endpoint", DEL)),
                               [("buyer.endpoint", "required")]),
    "seller-name-too-long": (broken(SIMPLE_JP, lambda d: setp(d, "seller.name", "長" * 301)),
                             [("seller.name", "too_long")]),
    "negative-total": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.quantity", "-10")),
                       [("lines", "negative_total")]),
    "currency-unknown": (broken(SIMPLE_JP, lambda d: setp(d, "currency", "YEN")),
                         [("currency", "invalid_currency")]),
    "tax-currency-not-jpy-in-pint-jp": (broken(SIMPLE_JP, lambda d: (setp(d, "currency", "USD"), setp(d, "tax_currency", {"code": "EUR", "exchange_rate": "0.92"}))),
                                        [("tax_currency.code", "currency_mismatch")]),
    "tax-currency-same-as-document": (broken(SIMPLE_EU, lambda d: setp(d, "tax_currency", {"code": "EUR", "exchange_rate": "1"})),
                                      [("tax_currency.code", "currency_mismatch")]),
    "credit-note-without-invoice": (broken(SIMPLE_JP, lambda d: setp(d, "document_type", "credit_note")),
                                    [("preceding_invoice", "required")]),
    "exemption-reason-missing": (broken(SIMPLE_JP, lambda d: (setp(d, "lines.0.tax_category", "E"), setp(d, "lines.0.tax_rate", "0"))),
                                 [("lines[0].exemption_reason", "required")]),
    "quantity-out-of-range": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.quantity", "1000000001")),
                              [("lines[0].quantity", "out_of_range")]),
    # Bounded when parsed (one problem per field: the value never exists out of range).
    "price-negative": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.unit_price", "-1")),
                       [("lines[0].unit_price", "out_of_range")]),
    "price-too-precise": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.unit_price", "1.1234567")),
                          [("lines[0].unit_price", "too_many_decimals")]),
    "price-as-json-number": (broken(SIMPLE_JP, lambda d: setp(d, "lines.0.unit_price", 0.1)),
                             [("lines[0].unit_price", "invalid_value")]),
    "peppol-without-buyer-reference": (broken(SIMPLE_EU, lambda d: setp(d, "buyer_reference", DEL)),
                                       [("buyer_reference", "required")]),
    "endpoint-corporate-number-check": (broken(SIMPLE_JP, lambda d: setp(d, "buyer.endpoint.id", "1234567890123")),
                                        [("buyer.endpoint.id", "invalid_endpoint_id")]),
    "many-problems-at-once": (broken(SIMPLE_JP, lambda d: (
        setp(d, "due_date", "2026-10-01"), setp(d, "currency", "JPX"), setp(d, "buyer.address.country", "JA"),
        setp(d, "buyer.name", "  "), setp(d, "lines.0.unit_code", "XYZ1"), setp(d, "seller.contact.email", "not-an-email"),
        d["lines"].append(line("追加", "1", "100", rate=None)))),
        [("due_date", "due_before_issue"), ("currency", "invalid_currency"), ("buyer.address.country", "invalid_code"),
         ("buyer.name", "required"), ("lines[0].unit_code", "invalid_code"), ("seller.contact.email", "invalid_format"),
         ("lines[1].tax_rate", "required")]),
}
# Parse-level failures: raw bodies, one error each.
raw_invalid = {
    "unknown-field": ('{"issue_date": "2026-11-05", "currency": "JPY", "qty": 1}', [("qty", "unknown_field")]),
    "not-json": ('{"issue_date": "2026-11-05",', [("", "invalid_json")]),
    "date-not-iso": (json.dumps(broken(SIMPLE_JP, lambda d: setp(d, "issue_date", "2026/11/05")), ensure_ascii=False),
                     [("issue_date", "invalid_value")]),
    "missing-seller": (json.dumps(broken(SIMPLE_JP, lambda d: setp(d, "seller", DEL)), ensure_ascii=False),
                       [("seller", "required")]),
}



# --- Peppol BIS national rules (docs/peppol-national-rules.md) -------------------------------------------
# One valid and one invalid document per country with national rules, the known cases of issue 12, and
# cross-border pairs. Identifiers carry the check digits their schemes verify.

def no_org(base8: str) -> str:
    """Norwegian organisation number: mod 11, weights 2..7 from the right (PEPPOL u:mod11)."""
    s = sum(int(d) * (i % 6 + 2) for i, d in enumerate(reversed(base8)))
    c = (11 - s % 11) % 11
    assert c != 10, base8
    return base8 + str(c)


def luhn(base: str) -> str:
    """Append the Luhn check digit (Swedish organisation number, Italian partita IVA)."""
    total = 0
    for i, d in enumerate(reversed(base)):
        d = int(d)
        if i % 2 == 0:
            d *= 2
            d = d // 10 + d % 10
        total += d
    return base + str((10 - total % 10) % 10)


def cvr(base7: str) -> str:
    """Danish CVR number: weights 2 7 6 5 4 3 2 1, sum divisible by 11."""
    w = [2, 7, 6, 5, 4, 3, 2]
    s = sum(int(d) * x for d, x in zip(base7, w))
    c = (11 - s % 11) % 11
    assert c != 10, base7
    return base7 + str(c)


def gr_tin(base8: str) -> str:
    """Greek TIN (AFM): sum of digit x 2^(9-position), mod 11, mod 10 (PEPPOL u:TinVerification)."""
    s = sum(int(d) * 2 ** (8 - i) for i, d in enumerate(base8))
    return base8 + str(s % 11 % 10)


def be_ent(base8: str) -> str:
    return f"{base8}{97 - int(base8) % 97:02d}"


DE_SELLER = {
    "name": "Rheinische Maschinenbau GmbH",
    "address": {"street": "Hohe Straße 52", "city": "Köln", "postal_code": "50667", "country": "DE"},
    "tax_id": "DE136695976",
    "legal_id": {"id": "HRB 12345"},
    "endpoint": {"id": "DE136695976", "scheme": "9930"},
    "contact": {"name": "Buchhaltung, Frau Weber", "phone": "+49 221 1234567", "email": "rechnung@rheinmaschinen.example.de"},
    "bank_account": {"account_id": "DE89370400440532013000", "account_name": "Rheinische Maschinenbau GmbH", "bank_id": "COBADEFFXXX"},
}
DE_DE = eu(number="RM-2026-0311", seller=DE_SELLER, buyer_reference="04011000-12345-34", order_reference="BE-2026-118",
           payment_terms="#SKONTO#TAGE=14#PROZENT=2.00#\nZahlbar innerhalb von 30 Tagen netto.",
           lines=[line("Spindelmotor SM-40", "2", "1480.00", rate="19"),
                  line("Fachbuch Zerspanungstechnik", "3", "64.20", rate="7", unit="C62"),
                  line("Montage vor Ort", "6", "92.50", rate="19", unit="HUR")])

DK_SELLER_CVR = cvr("1234567")
DK_BUYER_CVR = cvr("2345678")
DK_SELLER = {
    "name": "Nordisk Design ApS",
    "address": {"street": "Vesterbrogade 10", "city": "København V", "postal_code": "1620", "country": "DK"},
    "tax_id": "DK" + DK_SELLER_CVR,
    "legal_id": {"id": DK_SELLER_CVR, "scheme": "0184"},
    "endpoint": {"id": "DK" + DK_SELLER_CVR, "scheme": "0184"},
    "contact": {"name": "Bogholderi", "email": "faktura@nordiskdesign.example.dk"},
    "bank_account": {"account_id": "DK5000400440116243", "account_name": "Nordisk Design ApS", "bank_id": "DABADKKK"},
}
DK_BUYER = {
    "name": "Aarhus Kontorforsyning A/S",
    "address": {"street": "Søndergade 3", "city": "Aarhus C", "postal_code": "8000", "country": "DK"},
    "customer_id": "KUNDE-0815",
    "tax_id": "DK" + DK_BUYER_CVR,
    "legal_id": {"id": DK_BUYER_CVR, "scheme": "0184"},
    "endpoint": {"id": DK_BUYER_CVR, "scheme": "0184"},
}
DK_DK = eu(number="ND-2026-0077", currency="DKK", seller=DK_SELLER, buyer=DK_BUYER, buyer_reference="Indkøb 4711",
           lines=[line("Skrivebordslampe", "12", "649.00", rate="25", unit="C62"),
                  line("Designrådgivning", "4", "950.00", rate="25", unit="HUR")],
           allowances_charges=[{"kind": "charge", "amount": "120.00", "reason": "0010#Elafgift", "reason_code": "ZZZ",
                                "tax_category": "S", "tax_rate": "25"}])

NO_SELLER_ORG = no_org("92360901")
NO_BUYER_ORG = no_org("97476067")
NO_SELLER = {
    "name": "Fjordtech AS",
    "address": {"street": "Karl Johans gate 1", "city": "Oslo", "postal_code": "0154", "country": "NO"},
    "tax_id": f"NO{NO_SELLER_ORG}MVA",
    "legal_id": {"id": NO_SELLER_ORG, "scheme": "0192"},
    "endpoint": {"id": NO_SELLER_ORG, "scheme": "0192"},
    "contact": {"name": "Regnskap", "email": "faktura@fjordtech.example.no"},
    "bank_account": {"account_id": "NO9386011117947", "account_name": "Fjordtech AS", "bank_id": "DNBANOKK"},
}
NO_BUYER = {
    "name": "Bergen Havn KF",
    "address": {"street": "Slottsgaten 1", "city": "Bergen", "postal_code": "5003", "country": "NO"},
    "endpoint": {"id": NO_BUYER_ORG, "scheme": "0192"},
}
NO_NO = eu(number="FT-2026-1201", currency="NOK", seller=NO_SELLER, buyer=NO_BUYER, buyer_reference="Bestilling 88",
           lines=[line("Sensorbøye", "3", "12500.00", rate="25", unit="C62"),
                  line("Installasjon", "10", "1150.00", rate="25", unit="HUR")])

SE_SELLER_ORG = luhn("556036079")
SE_BUYER_ORG = luhn("202100000")
SE_SELLER = {
    "name": "Göta Verktyg AB",
    "address": {"street": "Drottninggatan 5", "city": "Stockholm", "postal_code": "111 51", "country": "SE"},
    "tax_id": f"SE{SE_SELLER_ORG}01",
    "legal_id": {"id": SE_SELLER_ORG, "scheme": "0007"},
    "endpoint": {"id": SE_SELLER_ORG, "scheme": "0007"},
    "contact": {"name": "Ekonomi", "email": "faktura@gotaverktyg.example.se"},
    "bank_account": {"account_id": "56781234", "account_name": "Göta Verktyg AB", "bank_id": "SE:BANKGIRO"},
}
SE_BUYER = {
    "name": "Malmö Stad",
    "address": {"street": "August Palms plats 1", "city": "Malmö", "postal_code": "205 80", "country": "SE"},
    "endpoint": {"id": SE_BUYER_ORG, "scheme": "0007"},
}
SE_SE = eu(number="GV-2026-0450", currency="SEK", seller=SE_SELLER, buyer=SE_BUYER, buyer_reference="Ref 4410-77",
           lines=[line("Skruvdragare", "5", "1890.00", rate="25", unit="C62"),
                  line("Livsmedel, fika", "20", "45.00", rate="12", unit="C62"),
                  line("Handbok (bok)", "5", "329.00", rate="6", unit="C62")])

NL_SELLER = {
    "name": "Delftse Tegels B.V.",
    "address": {"street": "Markt 1", "city": "Delft", "postal_code": "2611 GP", "country": "NL"},
    "tax_id": "NL123456789B01",
    "legal_id": {"id": "12345678", "scheme": "0106"},
    "endpoint": {"id": "12345678", "scheme": "0106"},
    "contact": {"name": "Debiteurenadministratie", "email": "facturen@delftsetegels.example.nl"},
    "bank_account": {"account_id": "NL91ABNA0417164300", "account_name": "Delftse Tegels B.V.", "bank_id": "ABNANL2A"},
}
NL_BUYER = {
    "name": "Rotterdamse Bouw N.V.",
    "address": {"street": "Coolsingel 40", "city": "Rotterdam", "postal_code": "3011 AD", "country": "NL"},
    "tax_id": "NL987654321B01",
    "legal_id": {"id": "87654321", "scheme": "0106"},
    "endpoint": {"id": "87654321", "scheme": "0106"},
}
NL_NL = eu(number="DT-2026-0901", seller=NL_SELLER, buyer=NL_BUYER, buyer_reference="Project Maasoever",
           order_reference="PO-55012",
           lines=[line("Wandtegel blauw 15x15", "400", "2.35", rate="21", order_line_reference="1"),
                  line("Tegellijm 25 kg", "12", "18.90", rate="21", unit="C62", order_line_reference="2")])

IT_PIVA = luhn("0123456789")
IT_SELLER = {
    "name": "Ceramiche Toscane S.r.l.",
    "address": {"street": "Via dei Calzaiuoli 7", "city": "Firenze", "postal_code": "50122", "country": "IT"},
    "tax_id": "IT" + IT_PIVA,
    "legal_id": {"id": IT_PIVA, "scheme": "0210"},
    "endpoint": {"id": "IT" + IT_PIVA, "scheme": "0211"},
    "contact": {"name": "Amministrazione", "email": "fatture@ceramichetoscane.example.it"},
    "bank_account": {"account_id": "IT60X0542811101000000123456", "account_name": "Ceramiche Toscane S.r.l.", "bank_id": "BPMOIT22"},
}
IT_BUYER = {
    "name": "Comune di Firenze",
    "address": {"street": "Piazza della Signoria 1", "city": "Firenze", "postal_code": "50122", "country": "IT"},
    "endpoint": {"id": "UFY9MH", "scheme": "0201"},
}
IT_IT = eu(number="CT-2026-0033", seller=IT_SELLER, buyer=IT_BUYER, buyer_reference="CIG 1234567890",
           lines=[line("Piastrelle in cotto 30x30", "120", "14.80", rate="22"),
                  line("Posa in opera", "16", "38.00", rate="22", unit="HUR")])

IS_SELLER = {
    "name": "Norðurljós ehf.",
    "address": {"street": "Laugavegur 26", "city": "Reykjavík", "postal_code": "101", "country": "IS"},
    "tax_id": "IS123456",
    "legal_id": {"id": "5501692829", "scheme": "0196"},
    "endpoint": {"id": "5501692829", "scheme": "0196"},
    "contact": {"name": "Bókhald", "email": "reikningar@nordurljos.example.is"},
    "bank_account": {"account_id": "IS140159260076545510730339", "account_name": "Norðurljós ehf.", "bank_id": "NBIIISRE"},
}
IS_BUYER = {
    "name": "Hafnarfjarðarbær",
    "address": {"street": "Strandgata 6", "city": "Hafnarfjörður", "postal_code": "220", "country": "IS"},
    "legal_id": {"id": "5902697199", "scheme": "0196"},
    "endpoint": {"id": "5902697199", "scheme": "0196"},
}
IS_IS = eu(number="NRL-2026-0007", currency="ISK", seller=IS_SELLER, buyer=IS_BUYER, buyer_reference="Pöntun 310",
           lines=[line("Ljósmyndun, dagur", "2", "85000", rate="24", unit="DAY"),
                  line("Myndabók", "10", "4990", rate="11", unit="C62")])

GR_TIN_BUYER = gr_tin("09409567")
GR_TIN_SELLER = gr_tin("99764513")
GR_BUYER = {
    "name": "Athinaiki Emporiki A.E.",
    "address": {"street": "Ermou 10", "city": "Athina", "postal_code": "105 63", "country": "GR"},
    "tax_id": "EL" + GR_TIN_BUYER,
    "endpoint": {"id": GR_TIN_BUYER, "scheme": "9933"},
}
GR_SELLER = {
    "name": "Elliniki Kataskevastiki A.E.",
    "address": {"street": "Stadiou 5", "city": "Athina", "postal_code": "105 62", "country": "GR"},
    "tax_id": "EL" + GR_TIN_SELLER,
    "endpoint": {"id": GR_TIN_SELLER, "scheme": "9933"},
    "bank_account": {"account_id": "GR1601101250000000012300695", "bank_id": "ETHNGRAA"},
}

BE_BUYER_ENT = be_ent("09876543")
BE_BUYER = {
    "name": "Antwerp Imports NV",
    "address": {"street": "Meir 50", "city": "Antwerpen", "postal_code": "2000", "country": "BE"},
    "tax_id": "BE" + BE_BUYER_ENT,
    "endpoint": {"id": BE_BUYER_ENT, "scheme": "0208"},
}
JP_PEPPOL = dict(number="AOZ-2026-000130", format="peppol_bis3", buyer=BE_BUYER, buyer_reference="IMP-2026-19", currency="EUR")

valid.update({
    "eu-de-domestic-xrechnung-ready": DE_DE,
    "eu-de-domestic-credit-note": broken(DE_DE, lambda d: d.update(
        number="RM-CN-2026-0012", document_type="credit_note", due_date="2026-11-20",
        preceding_invoice={"number": "RM-2026-0311", "issue_date": "2026-11-05"}, payment_terms=None,
        lines=[line("Spindelmotor SM-40 (Rücksendung)", "1", "1480.00", rate="19")])),
    "eu-de-domestic-not-subject-to-tax": broken(DE_DE, lambda d: (
        d.update(number="RM-2026-0312", payment_terms="Zahlbar innerhalb von 14 Tagen.", lines=[
            line("Schadenersatz Lieferverzug", "1", "2500.00", cat="O", rate=None, unit="C62",
                 exemption_reason="Nicht steuerbar: echter Schadenersatz")]),
        setp(d, "seller.tax_id", DEL), setp(d, "buyer.tax_id", DEL))),
    "eu-dk-domestic": DK_DK,
    "eu-no-domestic": NO_NO,
    "eu-se-domestic": SE_SE,
    "eu-nl-domestic": NL_NL,
    "eu-nl-domestic-credit-note": broken(NL_NL, lambda d: d.update(
        number="DT-CN-2026-0014", document_type="credit_note", due_date=None, order_reference=None,
        payment_terms="Wij storten het bedrag binnen 14 dagen terug.",
        preceding_invoice={"number": "DT-2026-0901", "issue_date": "2026-11-05"},
        lines=[line("Wandtegel blauw 15x15 (breuk)", "40", "2.35", rate="21")])),
    "eu-nl-seller-to-de-buyer": eu(number="DT-2026-0902", seller=NL_SELLER, buyer_reference="PO-DE-7790",
        lines=[line("Vloertegel terracotta", "250", "3.10", rate="21")]),
    "eu-it-domestic": IT_IT,
    "eu-is-domestic": IS_IS,
    "eu-be-seller-to-gr-buyer": eu(number="BW-2026-0047", buyer=GR_BUYER, buyer_reference="GR-PO-5521",
        lines=[line("Trade fair stand, Brussels", "1", "1850", rate="21", unit="C62")]),
    "jp-seller-to-be-buyer-peppol-zero-rated": jp(**JP_PEPPOL, lines=[
        line("Cast-iron teapot (export)", "24", "85.00", cat="Z", rate="0", unit="C62"),
        line("Sencha, 100 g tins (export)", "200", "9.40", cat="Z", rate="0", unit="C62")]),
    "jp-seller-peppol-not-subject-to-tax": jp(number="AOZ-2026-000131", format="peppol_bis3", buyer_reference="CUST-0042",
        lines=[line("立替金 (展示会出展料 実費)", "1", "330000", cat="O", rate=None, unit="C62",
                    exemption_reason="不課税 (立替金) / not subject to tax: disbursement")]),
    "eu-de-seller-to-jp-buyer-peppol-export": eu(number="RM-2026-0313", seller=DE_SELLER, buyer=JP_BUYER,
        buyer_reference="CUST-0042", lines=[
            line("Spindelmotor SM-40", "4", "1480.00", cat="G", rate="0", unit="C62",
                 exemption_reason="Steuerfreie Ausfuhrlieferung (§ 4 Nr. 1a, § 6 UStG)")]),
})

JP_G = jp(**JP_PEPPOL, lines=[line("Machine parts (export)", "10", "120.00", cat="G", rate="0", unit="C62",
                                   exemption_reason="輸出免税 (消費税法第7条)")],
          allowances_charges=[{"kind": "allowance", "amount": "50.00", "reason": "Export discount", "tax_category": "G",
                               "tax_rate": "0", "exemption_reason": "輸出免税 (消費税法第7条)"}])

invalid.update({
    # The three known cases of issue 12.
    "jp-seller-peppol-export-g-to-be": (JP_G, [("lines[0].tax_category", "peppol_br_g_02"),
                                               ("allowances_charges[0].tax_category", "peppol_br_g_03")]),
    "de-domestic-order-reference-only": (broken(DE_DE, lambda d: setp(d, "buyer_reference", DEL)),
                                         [("buyer_reference", "peppol_de_r_015")]),
    "de-domestic-contact-without-phone": (broken(DE_DE, lambda d: setp(d, "seller.contact.phone", DEL)),
                                          [("seller.contact.phone", "peppol_de_r_006")]),
    # Germany.
    "de-domestic-national-rules": (broken(DE_DE, lambda d: (
        setp(d, "seller.bank_account", DEL), setp(d, "buyer.address.city", DEL), setp(d, "buyer.address.postal_code", DEL),
        setp(d, "payment_terms", "#SKONTO#TAGE=14#PROZENT=2.00#"), setp(d, "seller.contact.phone", "12"),
        setp(d, "seller.contact.email", "rechnung@firma@example.de"), setp(d, "seller.contact.name", DEL))),
        [("seller.bank_account", "peppol_de_r_001"), ("buyer.address.city", "peppol_de_r_008"),
         ("buyer.address.postal_code", "peppol_de_r_009"), ("payment_terms", "peppol_de_r_018"),
         ("seller.contact.phone", "peppol_de_r_027"), ("seller.contact.email", "peppol_de_r_028"),
         ("seller.contact.name", "peppol_de_r_005")]),
    "de-domestic-seller-without-contact": (broken(DE_DE, lambda d: setp(d, "seller.contact", DEL)),
                                           [("seller.contact", "peppol_de_r_002")]),
    "de-domestic-credit-note-without-refund-date": (broken(valid["eu-de-domestic-credit-note"], lambda d: (
        setp(d, "due_date", DEL), setp(d, "payment_terms", "Gutschrift wird mit der nächsten Rechnung verrechnet."))),
        [("due_date", "peppol_de_r_001")]),
    "peppol-legal-id-instead-of-vat-id": (broken(DE_DE, lambda d: setp(d, "seller.tax_id", DEL)),
                                          [("seller.tax_id", "required")]),
    # Denmark.
    "dk-domestic-national-rules": (broken(DK_DK, lambda d: (
        setp(d, "seller.legal_id.scheme", DEL), setp(d, "seller.bank_account.bank_id", DEL),
        setp(d, "buyer.legal_id", {"id": "1234567890", "scheme": "0096"}),
        setp(d, "allowances_charges.0.reason", "Afgift"),
        setp(d, "lines.0.allowances_charges", [{"kind": "charge", "amount": "10.00", "reason": "#0010", "reason_code": "ZZZ"}]))),
        [("seller.legal_id.scheme", "peppol_dk_r_014"), ("seller.bank_account.bank_id", "peppol_dk_r_006"),
         ("buyer.legal_id.scheme", "peppol_dk_r_017"), ("allowances_charges[0].reason", "peppol_dk_r_004"),
         ("lines[0].allowances_charges[0].reason", "peppol_dk_r_004")]),
    "dk-seller-without-cvr": (broken(DK_DK, lambda d: setp(d, "seller.legal_id", DEL)),
                              [("seller.legal_id", "peppol_dk_r_002")]),
    # Norway.
    "no-seller-vat-without-mva": (broken(NO_NO, lambda d: setp(d, "seller.tax_id", "NO" + NO_SELLER_ORG)),
                                  [("seller.tax_id", "peppol_no_r_001")]),
    "no-organisation-number-check-digit": (broken(NO_NO, lambda d: setp(d, "buyer.endpoint.id", NO_BUYER_ORG[:-1] + str((int(NO_BUYER_ORG[-1]) + 1) % 10))),
                                           [("buyer.endpoint.id", "invalid_endpoint_id")]),
    # Sweden.
    "se-national-rules": (broken(SE_SE, lambda d: (
        setp(d, "seller.tax_id", f"SE{SE_SELLER_ORG}0"), setp(d, "seller.legal_id", {"id": SE_SELLER_ORG[:6] + "-" + SE_SELLER_ORG[6:]}),
        setp(d, "lines.0.tax_rate", "21"), setp(d, "seller.bank_account.account_id", "5678-1234"))),
        [("seller.tax_id", "peppol_se_r_001"), ("seller.legal_id.id", "peppol_se_r_003"),
         ("lines[0].tax_rate", "peppol_se_r_006"), ("seller.bank_account.account_id", "peppol_se_r_008")]),
    "se-organisation-number-and-plusgiro": (broken(SE_SE, lambda d: (
        setp(d, "seller.legal_id", {"id": SE_SELLER_ORG[:-1] + str((int(SE_SELLER_ORG[-1]) + 1) % 10)}),
        setp(d, "seller.bank_account", {"account_id": "123456789", "bank_id": "SE:PLUSGIRO"}))),
        [("seller.legal_id.id", "peppol_se_r_013"), ("seller.bank_account.account_id", "peppol_se_r_010")]),
    # The Netherlands.
    "nl-national-rules": (broken(NL_NL, lambda d: (
        setp(d, "seller.address.street", DEL), setp(d, "seller.legal_id.scheme", DEL), setp(d, "order_reference", DEL),
        setp(d, "buyer.address.city", DEL), setp(d, "buyer.legal_id.scheme", DEL))),
        [("seller.address.street", "peppol_nl_r_002"), ("seller.legal_id.scheme", "peppol_nl_r_003"),
         ("order_reference", "peppol_nl_r_009"), ("buyer.address.city", "peppol_nl_r_004"),
         ("buyer.legal_id.scheme", "peppol_nl_r_005")]),
    "nl-invoice-without-bank-account": (broken(NL_NL, lambda d: setp(d, "seller.bank_account", DEL)),
                                        [("seller.bank_account", "peppol_nl_r_007")]),
    "nl-domestic-credit-note-with-due-date": (broken(valid["eu-nl-domestic-credit-note"], lambda d: setp(d, "due_date", "2026-11-20")),
                                              [("due_date", "peppol_nl_r_008")]),
    # Italy, Iceland, Greece.
    "it-seller-without-address": (broken(IT_IT, lambda d: d["seller"].update(address={"country": "IT"})),
        [("seller.address.street", "peppol_it_r_002"), ("seller.address.city", "peppol_it_r_003"),
         ("seller.address.postal_code", "peppol_it_r_004")]),
    "is-domestic-national-rules": (broken(IS_IS, lambda d: (
        setp(d, "seller.legal_id", DEL), setp(d, "seller.address.postal_code", DEL),
        setp(d, "buyer.legal_id.scheme", DEL), setp(d, "buyer.address.street", DEL))),
        [("seller.legal_id", "peppol_is_r_002"), ("seller.address.postal_code", "peppol_is_r_003"),
         ("buyer.legal_id.scheme", "peppol_is_r_004"), ("buyer.address.street", "peppol_is_r_005")]),
    "gr-seller-refused": (eu(number="EK-2026-0001", seller=GR_SELLER, buyer=GR_BUYER, buyer_reference="PO-1",
                             lines=[line("Aluminium profiles", "100", "7.20", rate="24")]),
                          [("seller.tax_id", "peppol_gr_r_001")]),
    # EN 16931 rules that Peppol BIS data can fail.
    "jp-seller-peppol-without-legal-id": (broken(jp(**JP_PEPPOL, lines=[line("Teapot", "2", "85.00", cat="Z", rate="0", unit="C62")]),
                                                 lambda d: setp(d, "seller.legal_id", DEL)),
                                          [("seller.legal_id", "peppol_br_co_26")]),
    "jp-buyer-registration-number-in-peppol": (broken(valid["eu-de-seller-to-jp-buyer-peppol-export"],
                                                      lambda d: setp(d, "buyer.tax_id", "T" + BUYER_CORP)),
                                               [("buyer.tax_id", "peppol_br_co_09")]),
    "seller-vat-prefix-not-a-country": (broken(SIMPLE_EU, lambda d: setp(d, "seller.tax_id", "UK123456789")),
                                        [("seller.tax_id", "peppol_br_co_09")]),
    "peppol-identifier-formats": (broken(SIMPLE_EU, lambda d: (
        setp(d, "buyer.legal_id", {"id": "12345", "scheme": "0096"}),
        setp(d, "buyer.endpoint", {"id": "51824753557", "scheme": "0151"}))),
        [("buyer.legal_id.id", "invalid_format"), ("buyer.endpoint.id", "invalid_endpoint_id")]),
})

def clean(o):
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items() if v is not None}
    if isinstance(o, list):
        return [clean(v) for v in o]
    return o


def main():
    for sub in ("valid", "invalid"):
        d = ROOT / sub
        d.mkdir(parents=True, exist_ok=True)
        for f in d.glob("*.json"):
            f.unlink()
    for name, inv in valid.items():
        (ROOT / "valid" / f"{name}.json").write_text(json.dumps(clean(inv), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for name, (inv, expected) in invalid.items():
        (ROOT / "invalid" / f"{name}.json").write_text(json.dumps(clean(inv), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (ROOT / "invalid" / f"{name}.expected.json").write_text(
            json.dumps({"errors": [{"path": p, "code": c} for p, c in expected]}, indent=2) + "\n", encoding="utf-8")
    for name, (body, expected) in raw_invalid.items():
        (ROOT / "invalid" / f"{name}.json").write_text(body + "\n", encoding="utf-8")
        (ROOT / "invalid" / f"{name}.expected.json").write_text(
            json.dumps({"errors": [{"path": p, "code": c} for p, c in expected]}, indent=2) + "\n", encoding="utf-8")
    print(f"{len(valid)} valid, {len(invalid) + len(raw_invalid)} invalid fixtures in {ROOT}")


if __name__ == "__main__":
    main()
