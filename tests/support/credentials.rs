//! Waiting on the credentials cache.

use alioss::credentials::RefreshingCredentialsProvider;

/// Returns once the cache's background refresh (if any) has landed.
pub async fn wait_for_refresh(cache: &RefreshingCredentialsProvider) {
    while cache.is_refreshing() {
        tokio::task::yield_now().await;
    }
}
