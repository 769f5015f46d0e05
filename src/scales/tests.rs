//! Scale settings parsing and the worker against a simulator: only a stable weight is taken,
//! once per return to zero; a pulled cable turns the scale disconnected and it comes back.

use std::sync::Arc;
use std::time::Duration;

use super::device::{Condition, Devices};
use super::proto::{Protocol, State};
use super::sim::Sim;
use super::*;
use crate::clock::{Clock, SystemClock};
use crate::error::Problems;

fn reach() -> Reach {
    Reach { paths: vec!["/dev/ttyUSB".into(), "/dev/pts/".into()], policy: Policy { allow_private: true, allow_loopback: true } }
}

fn code(e: &Error) -> String {
    match e {
        Error::Validation(f) => f.first().map(|f| f.code.to_string()).unwrap_or_default(),
        other => other.code().to_string(),
    }
}

#[test]
fn links_parse_and_respect_the_reach() {
    let mut p = Problems::default();
    assert_eq!(
        parse_link(&mut p, "tcp", "192.168.1.60:4001", "", None, &reach()),
        Some(Link::Tcp { host: "192.168.1.60".into(), port: 4001 })
    );
    assert_eq!(
        parse_link(&mut p, "serial", "/dev/ttyUSB0", "", Some(Protocol::Mt8217), &reach()),
        Some(Link::Serial { path: "/dev/ttyUSB0".into(), line: Protocol::Mt8217.line() })
    );
    assert!(p.finish().is_ok());
    let strict = Reach { policy: Policy { allow_private: false, allow_loopback: false }, ..reach() };
    for (kind, addr, want) in [
        ("tcp", "127.0.0.1:4001", "scale_address_forbidden"),
        ("tcp", "169.254.1.1:4001", "scale_address_forbidden"),
        ("tcp", "scale.local", "scale_address"),
        ("serial", "/etc/passwd", "scale_path"),
        ("serial", "/dev/ttyUSB0/../../etc/passwd", "scale_path"),
        ("usb", "/dev/ttyUSB0", "scale_link"),
    ] {
        let mut p = Problems::default();
        assert_eq!(parse_link(&mut p, kind, addr, "", Some(Protocol::Sics), &strict), None);
        assert_eq!(p.finish().map_err(|e| code(&e)), Err(want.to_string()), "{kind} {addr}");
    }
}

#[tokio::test]
async fn the_worker_takes_only_a_stable_weight_once_per_return_to_zero() {
    let sim = Sim::new(Protocol::Sics);
    let port = sim.serve_tcp().await.expect("serve");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let devices = Devices::new(Arc::new(crate::live::Hub::new()), clock, reach());
    let c = CompanyId(1);
    let id = ScaleId(7);
    let scale = Scale {
        id,
        name: "Весы".into(),
        link: Link::Tcp { host: "127.0.0.1".into(), port },
        protocol: Protocol::Sics,
        resolution_g: 5,
        cash_box: None,
        branch: None,
        active: true,
    };
    devices.apply(c, id, Some(scale));
    let wait_for = |state: Condition, grams: i64| {
        let devices = &devices;
        async move {
            for _ in 0..100 {
                if let Some(st) = devices.status(c, id)
                    && st.state == state
                    && st.grams == grams
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            panic!("never {state:?} {grams} g: {:?}", devices.status(c, id));
        }
    };
    sim.set(1234, State::Unstable);
    wait_for(Condition::Unstable, 1235).await;
    assert_eq!(devices.take(c, id).map_err(|e| code(&e)), Err("scale_unstable".into()));
    sim.set(1234, State::Stable);
    wait_for(Condition::Stable, 1235).await;
    let taken = devices.take(c, id).expect("stable");
    assert_eq!((taken.grams, taken.kg().to_string(), taken.manual), (1235, "1.235".into(), false));
    assert_eq!(devices.take(c, id).map_err(|e| code(&e)), Err("scale_not_zeroed".into()));
    sim.set(0, State::Stable);
    wait_for(Condition::Stable, 0).await;
    assert_eq!(devices.take(c, id).map_err(|e| code(&e)), Err("scale_empty".into()));
    sim.set(500, State::Stable);
    wait_for(Condition::Stable, 500).await;
    assert_eq!(devices.take(c, id).map(|t| t.grams).ok(), Some(500));
    sim.set(9999, State::Overload);
    wait_for(Condition::Overload, 0).await;
    assert_eq!(devices.take(c, id).map_err(|e| code(&e)), Err("scale_overload".into()));
    // A cable pulled mid-answer: no half reading, then disconnected; plugged back, it reconnects.
    sim.set(800, State::Stable);
    wait_for(Condition::Stable, 800).await;
    sim.cut_next();
    sim.set(300, State::Stable);
    for _ in 0..100 {
        let st = devices.status(c, id).expect("status");
        assert_ne!(st.grams, 300, "a half answer must never become a reading");
        if st.state == Condition::Disconnected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(devices.status(c, id).map(|s| s.state), Some(Condition::Disconnected));
    assert_eq!(devices.take(c, id).map_err(|e| code(&e)), Err("scale_offline".into()));
    sim.pull_cable(false);
    wait_for(Condition::Stable, 300).await;
    assert!(devices.metrics().contains("dukan_scale_state{company=\"1\",scale=\"7\",state=\"stable\"} 1"));
    devices.stop_all();
}

#[test]
fn manual_weight_needs_the_right() {
    let now = Ts(1);
    let mut actor = Actor {
        company: CompanyId(1),
        user: crate::ids::UserId(2),
        user_name: "кассир".into(),
        role: crate::tenancy::model::SystemRole::Staff,
        perms: crate::tenancy::perms::PermSet::default(),
        branch: crate::tenancy::actor::BranchScope::Company,
        ip: String::new(),
        lang: crate::i18n::Lang::Ru,
        platform_admin: false,
        access: crate::tenancy::model::Access::Full,
        features: vec!["scales".into()],
    };
    assert_eq!(manual(&actor, now, "1.5").map_err(|e| code(&e)), Err("forbidden".into()));
    actor.perms = crate::tenancy::perms::PermSet::of(&[Perm::SCALES_MANUAL]);
    let t = manual(&actor, now, "1,250").expect("manual");
    assert_eq!((t.grams, t.manual, t.scale), (1250, true, None));
    assert_eq!(manual(&actor, now, "1001").map_err(|e| code(&e)), Err("weight_range".into()));
    assert_eq!(manual(&actor, now, "0").map_err(|e| code(&e)), Err("qty".into()));
    assert_eq!(manual(&actor, now, "kg").map_err(|e| code(&e)), Err("qty".into()));
}
