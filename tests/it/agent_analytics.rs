//! Agent analytics against a hand-computed scenario: two transfers (5 at cost 85, 5 at 90,
//! price 102), a sale of 7 taking 5 + 2 in FIFO order → amount 714, cost 605, profit 109,
//! on hand 3 worth 306 at the current price; the agent's own view, the owner's, rights,
//! periods, XLSX, and another company.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agents::{Field, field, staff};
use crate::common::TestApp;

async fn transfer(t: &TestApp, f: &Field, qty: &str) {
    let body = json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": f.s.milk, "qty": qty, "accept": true}]});
    let (st, lots) = t.post(&f.s.c, "/api/v1/agents/transfers", body).await;
    assert_eq!(st, StatusCode::CREATED, "{lots}");
}

fn summary(r: &Value) -> Vec<String> {
    let s = &r["summary"];
    ["transfers", "qty_transferred", "value_transferred", "qty_accepted", "sales", "qty_sold", "amount", "cost", "gross_profit"]
        .iter()
        .map(|k| s[*k].to_string().trim_matches('"').to_string())
        .collect()
}

#[tokio::test]
async fn agent_and_owner_analytics_match_the_hand_computed_scenario() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@agent-analytics.kg").await;
    let o = &f.s.c;
    transfer(&t, &f, "5").await;
    transfer(&t, &f, "5").await;
    let (st, sale) =
        t.post(&f.agent, "/api/v1/agents/sales", json!({"idempotency_key": "a-1", "lines": [{"product": f.s.milk, "qty": "7"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");

    let want = ["2", "10", "875.00", "10", "1", "7", "714.00", "605.00", "109.00"].map(String::from).to_vec();
    let (st, own) = t.get(&f.agent, "/api/v1/agents/analytics").await;
    assert_eq!(st, StatusCode::OK, "{own}");
    assert_eq!(summary(&own), want, "{own}");
    assert_eq!(
        (own["on_hand_qty"].as_str(), own["on_hand_value"].as_str(), own["agent"].as_u64()),
        (Some("3"), Some("306.00"), Some(f.agent_id))
    );
    assert_eq!(own["days"].as_array().map(Vec::len), Some(1), "{own}");
    assert_eq!(own["products"][0]["share"].as_str(), Some("100"));
    assert_eq!(own["top_transferred"][0]["totals"]["qty_transferred"].as_str(), Some("10"));
    assert_eq!(own["transfers"].as_array().map(Vec::len), Some(2), "the lots, newest first");
    assert!(own["expenses"].is_null(), "one agent's report has no expense breakdown");

    let (st, all) = t.get(o, "/api/v1/agents/analytics?period=week").await;
    assert_eq!(st, StatusCode::OK, "{all}");
    assert_eq!(summary(&all), want);
    assert_eq!(
        (all["agents"][0]["agent"].as_u64(), all["agents"][0]["totals"]["gross_profit"].as_str()),
        (Some(f.agent_id), Some("109.00"))
    );
    let (_, one) = t.get(o, &format!("/api/v1/agents/analytics?agent={}&period=day", f.agent_id)).await;
    assert_eq!(summary(&one), want, "today only: {one}");
    let (_, old) = t.get(o, "/api/v1/agents/analytics?period=custom&from=2020-01-01&to=2020-01-31").await;
    assert_eq!(old["summary"]["amount"].as_str(), Some("0"), "{old}");
    assert_eq!(old["on_hand_qty"].as_str(), Some("3"), "on hand is now, whatever the period");

    // Another agent sees only their own (nothing); asking for someone else is not found.
    let (other, _) = staff(&t, o, "second.agent@agent-analytics.kg", json!(["agent"])).await;
    let (_, theirs) = t.get(&other, "/api/v1/agents/analytics").await;
    assert_eq!((theirs["summary"]["amount"].as_str(), theirs["on_hand_qty"].as_str()), (Some("0"), Some("0")), "{theirs}");
    let (st, _) = t.get(&other, &format!("/api/v1/agents/analytics?agent={}", f.agent_id)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (cashier, _) = staff(&t, o, "cashier@agent-analytics.kg", json!(["sale"])).await;
    let (st, e) = t.get(&cashier, "/api/v1/agents/analytics").await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    for bad in ["period=year", "period=custom&from=2026-02-01&to=2026-01-01", "period=custom&from=01.01.2026", "nope=1"] {
        let (st, e) = t.get(o, &format!("/api/v1/agents/analytics?{bad}")).await;
        assert!(st.is_client_error(), "{bad}: {st} {e}");
    }

    let resp = t.http.get(t.url("/api/v1/agents/analytics.xlsx")).bearer_auth(&o.token).send().await.expect("xlsx");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").contains("spreadsheetml"));
    assert!(resp.bytes().await.expect("bytes").starts_with(b"PK"), "a zip (XLSX)");

    // Another company sees none of it.
    let g = field(&t, "owner@other-analytics.kg").await;
    let (st, _) = t.get(&g.s.c, &format!("/api/v1/agents/analytics?agent={}", f.agent_id)).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "another company's agent");
    let (_, theirs) = t.get(&g.s.c, "/api/v1/agents/analytics").await;
    assert_eq!((theirs["summary"]["amount"].as_str(), theirs["transfers"].as_array().map(Vec::len)), (Some("0"), Some(0)), "{theirs}");
    t.assert_consistent();
}
