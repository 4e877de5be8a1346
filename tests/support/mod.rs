//! Helpers shared by the integration tests (each test binary includes this module with
//! `mod support;` and uses what it needs).
//!
//! * [`credentials`]: waiting for a credentials cache's background refresh;
//! * [`emulator`]: the local emulator with the demo configuration, and clients pointed at it;
//! * [`hostile`]: a raw HTTP/1.1 server that plays scripted bytes, pauses and trickles;
//! * [`oss`]: an HTTP/1.1 server on 127.0.0.1:0 that records requests and answers from a
//!   handler, and OSS clients pointed at it;
//! * [`proxy`]: a TCP relay that records the requests going through it (to count GETs);
//! * [`sts`]: an STS on 127.0.0.1:0 that checks the RPC signature, and a generic router server;
//! * [`trace`]: a tracing subscriber that writes every span and event into a string.
#![allow(dead_code, unreachable_pub)]

pub mod credentials;
pub mod emulator;
pub mod hostile;
pub mod oss;
pub mod proxy;
pub mod sts;
pub mod trace;
