//! The `vpcaudit` command line: its commands as library functions ([`app`]) and the terminal
//! display of collection progress ([`progress`]). The work is done by `vpcaudit-core` (rules,
//! reports) and `vpcaudit-collect` (AWS).

pub mod app;
pub mod progress;
