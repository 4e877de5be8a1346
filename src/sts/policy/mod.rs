//! RAM policies: a typed builder for session policies, and an evaluator.
