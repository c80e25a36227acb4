//! Tests for `config`.
