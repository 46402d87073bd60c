//! `GET /invoices`: the search's query string (電子帳簿保存法: date range, amount range, counterparty),
//! checked parameter by parameter, and the page it finds.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use seikyu_domain::Code;
use seikyu_domain::id::{ID_RULE, is_id};
use seikyu_domain::values::Amount;
use serde_json::json;

use crate::api::errors::{bad, from_app_error};
use crate::api::http::{HttpRequest, HttpResponse};
use crate::api::views;
use crate::app::App;
use crate::ports::{Clock, DocumentArchive, EventBus, MessageQueue, Store};
use crate::record::{InvoiceStatus, SearchQuery, SellerAccount};

fn parse_date(req: &HttpRequest, name: &str) -> Result<Option<NaiveDate>, HttpResponse> {
    req.query(name)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| bad(name, Code::InvalidValue, "a date YYYY-MM-DD"))
        })
        .transpose()
}

fn parse_amount(req: &HttpRequest, name: &str) -> Result<Option<Decimal>, HttpResponse> {
    req.query(name)
        .map(|v| {
            v.parse::<Amount>()
                .map(Amount::get)
                .map_err(|e| bad(name, Code::InvalidValue, &e.to_string()))
        })
        .transpose()
}

pub async fn search<S, A, Q, B, C>(
    app: &App<S, A, Q, B, C>,
    seller: &SellerAccount,
    req: &HttpRequest,
) -> HttpResponse
where
    S: Store,
    A: DocumentArchive,
    Q: MessageQueue,
    B: EventBus,
    C: Clock,
{
    let known = [
        "from",
        "to",
        "min_amount",
        "max_amount",
        "customer",
        "status",
        "limit",
        "cursor",
    ];
    if let Some((k, _)) = req.query.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        return bad(
            k,
            Code::UnknownField,
            &format!("unknown parameter; use {}", known.join(", ")),
        );
    }
    let q = query(req);
    let q = match q {
        Ok(q) => q,
        Err(r) => return r,
    };
    match app.search(seller, &q).await {
        Ok(page) => HttpResponse::json(
            200,
            &json!({
                "items": page.items.iter().map(views::invoice).collect::<Vec<_>>(),
                "next_cursor": page.next,
            }),
        ),
        Err(e) => from_app_error(e),
    }
}

/// The search a query string asks for, or the 400 for its first bad parameter.
fn query(req: &HttpRequest) -> Result<SearchQuery, HttpResponse> {
    let from = parse_date(req, "from")?;
    let to = parse_date(req, "to")?;
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(bad("to", Code::PeriodInverted, "'to' is before 'from'"));
    }
    let status = req
        .query("status")
        .map(|s| {
            InvoiceStatus::parse(s).ok_or_else(|| {
                bad(
                    "status",
                    Code::InvalidCode,
                    "pending_review, issued, partially_paid, paid, disputed, escalated or void",
                )
            })
        })
        .transpose()?;
    let limit = req
        .query("limit")
        .map(|l| {
            l.parse::<usize>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| bad("limit", Code::OutOfRange, "1-200"))
        })
        .transpose()?
        .unwrap_or(50);
    let min_amount = parse_amount(req, "min_amount")?;
    let max_amount = parse_amount(req, "max_amount")?;
    if let (Some(lo), Some(hi)) = (min_amount, max_amount)
        && hi < lo
    {
        return Err(bad(
            "max_amount",
            Code::OutOfRange,
            "'max_amount' is below 'min_amount'",
        ));
    }
    Ok(SearchQuery {
        from,
        to,
        min_amount,
        max_amount,
        customer: req
            .query("customer")
            .map(|c| {
                if is_id(c) {
                    Ok(c.to_string())
                } else {
                    Err(bad("customer", Code::InvalidFormat, ID_RULE))
                }
            })
            .transpose()?,
        status,
        limit,
        cursor: req.query("cursor").map(str::to_string),
    })
}
