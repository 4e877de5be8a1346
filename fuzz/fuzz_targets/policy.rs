//! The RAM policy parser and evaluator: any text either fails to parse or parses into a policy
//! that re-serialises to itself and evaluates without panicking.
#![no_main]

use alioss::policy::{evaluate, Policy, RequestContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(policy) = Policy::from_json(text) {
        let again = Policy::from_json(&policy.to_json()).expect("round trip");
        assert_eq!(again, policy);
        let _ = policy.check_known_operators();
        let ctx = RequestContext::new("oss:PutObject", "acs:oss:*:*:examplebucket/src/a")
            .with("acs:SourceIp", "10.0.0.1");
        let _ = evaluate(std::slice::from_ref(&policy), &ctx);
    }
});
