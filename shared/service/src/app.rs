//! The application: the ports every use case runs on. The use cases are `impl App` blocks in their
//! context's folder (tenants, invoicing, payments, receipts, dunning, delivery).

pub struct App<S, A, Q, B, C> {
    pub store: S,
    pub archive: A,
    pub queue: Q,
    pub bus: B,
    pub clock: C,
}
