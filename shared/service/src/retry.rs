//! The one retry policy for lost races. Every write of a use case is conditional (a number not yet
//! taken, a record still at the version read); when a concurrent writer won, the use case reads again,
//! decides again and commits again, after a short random pause, until its [`Budget`] is spent. Then it
//! gives up with [`Exhausted`], which the edges turn into a 409 `busy` (HTTP) or a retryable failure
//! (queue messages are redelivered).

use thiserror::Error;

/// How many attempts a kind of retry gets, by name (the name is in the error when it gives up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub name: &'static str,
    pub attempts: u32,
}

/// A conditional commit that lost to a concurrent writer: a number someone else took, an invoice or a
/// payment that changed, a send claim taken meanwhile. Twenty looks with pauses of up to 2, 4, ... 64 ms
/// (about a second in all) outlast any burst of requests for one seller.
pub const CONTENDED: Budget = Budget {
    name: "contended write",
    attempts: 20,
};

/// Around a step that retries on its own (voiding an invoice around numbering its credit note): a few
/// fresh looks at the invoice, not twenty times twenty.
pub const AROUND_A_RETRYING_STEP: Budget = Budget {
    name: "retrying step",
    attempts: 3,
};

/// The budget is spent: the record kept changing.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{what} kept changing: gave up after {attempts} attempts ({budget} budget); retry")]
pub struct Exhausted {
    pub what: String,
    pub budget: &'static str,
    pub attempts: u32,
}

/// The attempts of one use case: call [`Retry::again`] after each lost race.
///
/// ```ignore
/// let mut retry = Retry::new(CONTENDED);
/// loop {
///     // read, decide, commit
///     match store.commit(&writes).await {
///         Ok(()) => return Ok(done),
///         Err(StoreError::Conflict(_)) => retry.again(|| format!("invoice {id}")).await?,
///         Err(e) => return Err(e.into()),
///     }
/// }
/// ```
#[derive(Debug)]
pub struct Retry {
    budget: Budget,
    done: u32,
}

impl Retry {
    pub fn new(budget: Budget) -> Self {
        Retry { budget, done: 0 }
    }

    /// Count the attempt that just lost; pause before the next one, or give up when the budget is spent
    /// (`what` names the thing that kept changing).
    pub async fn again(&mut self, what: impl FnOnce() -> String) -> Result<(), Exhausted> {
        self.done += 1;
        if self.done >= self.budget.attempts {
            return Err(Exhausted {
                what: what(),
                budget: self.budget.name,
                attempts: self.done,
            });
        }
        backoff(self.done - 1).await;
        Ok(())
    }
}

/// A short random pause before retrying a lost race: up to 2, 4, 8 ... 64 ms.
async fn backoff(attempt: u32) {
    let mut r = [0u8; 1];
    let _ = getrandom::fill(&mut r);
    let cap_ms = 2u64 << attempt.min(5);
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::from(r[0]) % cap_ms + 1,
    ))
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A race that is lost every time: the budget's attempts are made, then a clear error.
    #[tokio::test]
    async fn gives_up_with_a_clear_error_after_its_budget() {
        for budget in [CONTENDED, AROUND_A_RETRYING_STEP] {
            let mut retry = Retry::new(budget);
            let mut attempts = 0;
            let err = loop {
                attempts += 1;
                // every commit loses
                if let Err(e) = retry.again(|| "invoice AOZ-2026-000001".into()).await {
                    break e;
                }
            };
            assert_eq!(attempts, budget.attempts);
            assert_eq!(err.attempts, budget.attempts);
            assert_eq!(
                err.to_string(),
                format!(
                    "invoice AOZ-2026-000001 kept changing: gave up after {} attempts ({} budget); retry",
                    budget.attempts, budget.name
                )
            );
        }
    }

    /// A race lost once, then won: one retry, no error.
    #[tokio::test]
    async fn a_race_lost_once_is_retried() {
        let mut retry = Retry::new(CONTENDED);
        let mut attempts = 0;
        loop {
            attempts += 1;
            if attempts == 2 {
                break;
            }
            retry.again(String::new).await.expect("within the budget");
        }
        assert_eq!(attempts, 2);
    }
}
