//! What collection reports as it goes, as events. Collectors only emit them; the CLI draws
//! them on the terminal (indicatif or plain lines) and the Lambda job writes them as JSON log
//! records, so no collector decides where a warning ends up.

use std::fmt;

use vpcaudit_core::snapshot::Dataset;

/// One thing that happened during collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A step began or ended ("reading caller identity (sts:GetCallerIdentity)").
    Info(String),
    /// Something failed. It is also in the snapshot's coverage: the warning is for the person
    /// watching, the coverage entry for the report.
    Warning(String),
    /// `count` regions of `account` will be read (known once its regions are).
    ScopesExpected { account: String, count: usize },
    /// The reading of an account and region began.
    ScopeStarted { account: String, region: String },
    /// A dataset of an account and region was read (`Ok(resources)`) or could not be.
    DatasetRead {
        account: String,
        region: String,
        dataset: Dataset,
        outcome: Result<usize, ()>,
    },
    /// The account and region are read.
    ScopeFinished { account: String, region: String },
    /// Collection is over.
    Finished,
}

/// Receives collection events. Implementations must be cheap and must not block: events are
/// sent from the collectors' tasks.
pub trait Observer: Send + Sync {
    fn on_event(&self, event: Event);

    /// Sends an [`Event::Info`].
    fn info(&self, message: fmt::Arguments<'_>) {
        self.on_event(Event::Info(message.to_string()));
    }

    /// Sends an [`Event::Warning`].
    fn warn(&self, message: fmt::Arguments<'_>) {
        self.on_event(Event::Warning(message.to_string()));
    }
}

/// An observer that drops every event: for tests and embedders that only want the snapshot.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn on_event(&self, _event: Event) {}
}

/// The events of one account and region.
pub(crate) struct Scope<'a> {
    observer: &'a dyn Observer,
    account: String,
    region: String,
}

impl<'a> Scope<'a> {
    pub(crate) fn start(observer: &'a dyn Observer, account: &str, region: &str) -> Scope<'a> {
        observer.on_event(Event::ScopeStarted {
            account: account.to_owned(),
            region: region.to_owned(),
        });
        Scope {
            observer,
            account: account.to_owned(),
            region: region.to_owned(),
        }
    }

    pub(crate) fn dataset_done(&self, dataset: Dataset, outcome: Result<usize, ()>) {
        self.observer.on_event(Event::DatasetRead {
            account: self.account.clone(),
            region: self.region.clone(),
            dataset,
            outcome,
        });
    }

    pub(crate) fn finish(self) {
        self.observer.on_event(Event::ScopeFinished {
            account: self.account,
            region: self.region,
        });
    }
}
