//! Tests for `record`.
