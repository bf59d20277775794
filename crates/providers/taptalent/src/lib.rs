//! The taptalent adapter (being built).
