//! The SDK clients of one account, shared by the account/regions of it that a collection thread
//! reads at once.
//!
//! A client costs as much to build as a few calls (its runtime plugins and configuration
//! layers, about 50 µs each), and an Organization scan reads thousands of account/regions, most
//! of them empty: built per account/region, clients were a seventh of the scan's CPU. So each
//! thread builds one client per service for an account when it starts reading one of its
//! regions, and drops them when it reads none of its regions any more ([`ClientCache`]).
//!
//! Each call names its region ([`InRegion`], the SDK's per-operation `config_override`). The
//! clients themselves have no region: a call that forgot to name one fails ("no region"),
//! recorded in coverage, instead of quietly reading another region.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use aws_config::{Region, SdkConfig};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::limits::CallLog;

/// The region of one call: passed to each request as its configuration override.
#[derive(Debug, Clone)]
pub(crate) struct InRegion(Region);

impl InRegion {
    pub(crate) fn new(region: &str) -> InRegion {
        InRegion(Region::new(region.to_owned()))
    }
}

/// `From<&InRegion>` for each service's configuration builder, so every collector passes its
/// region the same way: `.customize().config_override(region)`.
macro_rules! region_override {
    ($($service:ident),* $(,)?) => {$(
        impl From<&InRegion> for $service::config::Builder {
            fn from(region: &InRegion) -> Self {
                $service::config::Builder::default().region(region.0.clone())
            }
        }
    )*};
}

region_override!(
    aws_sdk_ec2,
    aws_sdk_rds,
    aws_sdk_lambda,
    aws_sdk_apigateway,
    aws_sdk_apigatewayv2,
    aws_sdk_elasticloadbalancingv2,
    aws_sdk_elasticloadbalancing,
    aws_sdk_ecs,
);

/// A client built on first use: the services that live only in VPCs are never called in an
/// account/region without one (`vpc_gate.rs`).
pub(crate) type Lazily<C> = LazyLock<C, Box<dyn FnOnce() -> C + Send>>;

/// One account's client per service, on one collection thread's HTTP client.
pub(crate) struct AccountClients {
    pub(crate) ec2: aws_sdk_ec2::Client,
    pub(crate) lambda: aws_sdk_lambda::Client,
    pub(crate) apigateway: aws_sdk_apigateway::Client,
    pub(crate) apigatewayv2: aws_sdk_apigatewayv2::Client,
    pub(crate) rds: Lazily<aws_sdk_rds::Client>,
    pub(crate) elbv2: Lazily<aws_sdk_elasticloadbalancingv2::Client>,
    pub(crate) elb: Lazily<aws_sdk_elasticloadbalancing::Client>,
    pub(crate) ecs: Lazily<aws_sdk_ecs::Client>,
}

/// Builds one service's client from the account's configuration, with the run's request count.
macro_rules! client {
    ($service:ident, $name:literal, $config:expr, $calls:expr) => {
        $service::Client::from_conf(
            $service::config::Builder::from($config)
                .interceptor($calls.interceptor($name))
                .build(),
        )
    };
}

/// Defers [`client!`] to first use.
macro_rules! lazily {
    ($service:ident, $name:literal, $config:expr, $calls:expr) => {{
        let (config, calls) = ($config.clone(), Arc::clone($calls));
        LazyLock::new(Box::new(move || client!($service, $name, &config, calls)) as Box<_>)
    }};
}

impl AccountClients {
    /// `account` is the account's configuration (its credentials); `http` the reading thread's
    /// HTTP client, whichever thread opened the account.
    pub(crate) fn new(
        account: &SdkConfig,
        http: Option<&SharedHttpClient>,
        calls: &Arc<CallLog>,
    ) -> AccountClients {
        let mut config = account.to_builder();
        config.set_region(None);
        if let Some(http) = http {
            config.set_http_client(Some(http.clone()));
        }
        let config = config.build();
        AccountClients {
            ec2: client!(aws_sdk_ec2, "ec2", &config, calls),
            lambda: client!(aws_sdk_lambda, "lambda", &config, calls),
            apigateway: client!(aws_sdk_apigateway, "apigateway", &config, calls),
            apigatewayv2: client!(aws_sdk_apigatewayv2, "apigatewayv2", &config, calls),
            rds: lazily!(aws_sdk_rds, "rds", config, calls),
            elbv2: lazily!(aws_sdk_elasticloadbalancingv2, "elbv2", config, calls),
            elb: lazily!(aws_sdk_elasticloadbalancing, "elb", config, calls),
            ecs: lazily!(aws_sdk_ecs, "ecs", config, calls),
        }
    }
}

/// The accounts one collection thread is reading, each with its clients and how many of its
/// account/regions are being read.
#[derive(Default)]
pub(crate) struct ClientCache {
    open: Mutex<HashMap<usize, (Arc<AccountClients>, usize)>>,
}

impl ClientCache {
    /// The clients of the account at `account_index` in the plan, built with `make` unless
    /// another of its account/regions is being read on this thread.
    pub(crate) fn lease(
        &self,
        account_index: usize,
        make: impl FnOnce() -> AccountClients,
    ) -> Lease<'_> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let (clients, readers) = open
            .entry(account_index)
            .or_insert_with(|| (Arc::new(make()), 0));
        *readers += 1;
        Lease {
            cache: self,
            account_index,
            clients: Arc::clone(clients),
        }
    }

    #[cfg(test)]
    fn accounts_open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// An account's clients, held for one account/region's read.
pub(crate) struct Lease<'a> {
    cache: &'a ClientCache,
    account_index: usize,
    clients: Arc<AccountClients>,
}

impl Deref for Lease<'_> {
    type Target = AccountClients;

    fn deref(&self) -> &AccountClients {
        &self.clients
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut open = self
            .cache
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, readers)) = open.get_mut(&self.account_index) {
            *readers = readers.saturating_sub(1);
            if *readers == 0 {
                open.remove(&self.account_index);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> SdkConfig {
        SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    #[test]
    fn an_account_s_clients_are_built_once_while_any_of_its_regions_is_read() {
        let cache = ClientCache::default();
        let calls = CallLog::new();
        let mut built = 0;
        let mut make = || {
            built += 1;
            AccountClients::new(&account(), None, &calls)
        };
        let first = cache.lease(0, &mut make);
        let second = cache.lease(0, &mut make);
        let other = cache.lease(1, &mut make);
        assert_eq!(cache.accounts_open(), 2);
        drop(first);
        drop(other);
        assert_eq!(cache.accounts_open(), 1);
        drop(second);
        assert_eq!(cache.accounts_open(), 0);
        let _again = cache.lease(0, &mut make);
        assert_eq!(built, 3);
    }

    #[test]
    fn the_clients_have_no_region_of_their_own() {
        let clients = AccountClients::new(&account(), None, &CallLog::new());
        assert_eq!(clients.ec2.config().region(), None);
        assert_eq!(clients.rds.config().region(), None);
    }
}
