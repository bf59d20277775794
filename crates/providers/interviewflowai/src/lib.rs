//! The interviewflowai adapter (being built).
