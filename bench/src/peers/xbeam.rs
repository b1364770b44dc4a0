//! What a Rust logger would use between its threads and its writer: crossbeam's `ArrayQueue`
//! (Vyukov's bounded MPMC queue) and crossbeam-channel's bounded channel with `try_send`. One
//! queue shared by every producer (that is how they are used: both are multi-producer), holding
//! records of exactly the scenario's payload size (their best case: a real logger would size
//! them for its largest record).

use crate::timing;
use crossbeam_channel::{Receiver, Sender};
use crossbeam_queue::ArrayQueue;
use std::sync::Arc;

/// A record with the same header information as the other peers' slots.
#[derive(Clone, Copy)]
pub struct Rec<const N: usize> {
    ts: u64,
    len: u32,
    data: [u8; N],
}

impl<const N: usize> Rec<N> {
    #[inline(always)]
    fn new(payload: &[u8]) -> Self {
        let mut data = [0u8; N];
        data.copy_from_slice(&payload[..N]);
        Rec { ts: timing::rdtsc(), len: N as u32, data }
    }
}

/// Producer handle on a shared `ArrayQueue`.
pub struct QueuePub<const N: usize>(pub Arc<ArrayQueue<Rec<N>>>);

impl<const N: usize> crate::harness::Publisher for QueuePub<N> {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        self.0.push(Rec::new(payload)).is_ok()
    }
}

/// Pops everything available; returns the count.
pub fn drain_queue<const N: usize>(q: &ArrayQueue<Rec<N>>) -> u64 {
    let mut n = 0;
    while let Some(r) = q.pop() {
        std::hint::black_box((r.ts, r.len, &r.data));
        n += 1;
    }
    n
}

/// Producer handle on a bounded crossbeam channel.
pub struct ChannelPub<const N: usize>(pub Sender<Rec<N>>);

impl<const N: usize> crate::harness::Publisher for ChannelPub<N> {
    #[inline]
    fn publish(&mut self, payload: &[u8]) -> bool {
        self.0.try_send(Rec::new(payload)).is_ok()
    }
}

/// Receives everything available; returns the count.
pub fn drain_channel<const N: usize>(rx: &Receiver<Rec<N>>) -> u64 {
    let mut n = 0;
    while let Ok(r) = rx.try_recv() {
        std::hint::black_box((r.ts, r.len, &r.data));
        n += 1;
    }
    n
}
