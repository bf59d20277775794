//! The flowmingo adapter (being built).
