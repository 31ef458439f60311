//! Password hashing with argon2id; bcrypt hashes imported from eicrud are
//! verified too, and replaced by argon2id at the next successful login.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result, SetupError};

/// argon2id cost parameters.
///
/// The default is OWASP's recommendation: 19 MiB of memory, 2 passes, one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// How much password hashing runs at once, and how much may wait.
///
/// At most [`threads`](Self::threads) hashes run at once, each holding its
/// argon2 memory; at most [`queue`](Self::queue) more wait for a thread.
/// A hash or verification asked beyond that is refused at once with
/// [`Error::HashingOverloaded`] (503 with `Retry-After`), so a burst of
/// logins neither grows memory nor makes every caller wait longer.
///
/// ```
/// use ferrocrud::auth::HashingLimits;
///
/// let limits = HashingLimits { threads: 2, queue: 16 };
/// assert!(limits.queue >= HashingLimits::default().threads.min(16));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Hashing threads: hashes running at once (default: one per core).
    pub threads: usize,
    /// Hashes waiting for a thread before new ones are refused (default:
    /// 32 per thread, about a second of work with the default parameters).
    pub queue: usize,
}

impl Default for HashingLimits {
    fn default() -> Self {
        let threads = std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(2);
        Self {
            threads,
            queue: 32 * threads,
        }
    }
}

/// What the hashing threads have done so far, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashingStats {
    /// Hashes and verifications waiting for a thread now.
    pub queued: usize,
    /// Hashes and verifications running now.
    pub running: usize,
    /// Hashes and verifications finished since start.
    pub completed: u64,
    /// Hashes and verifications refused since start because the queue was full.
    pub rejected: u64,
}

/// The counters behind [`HashingStats`].
#[derive(Debug, Default)]
struct Counters {
    queued: AtomicUsize,
    running: AtomicUsize,
    completed: AtomicU64,
    rejected: AtomicU64,
}

impl Counters {
    /// A running job ended.
    fn finished(&self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
        self.completed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Hashes and verifies passwords with argon2id, off the async workers.
///
/// Every hash and verification runs on a fixed set of hashing threads, one
/// per core by default, fed by a bounded queue ([`HashingLimits`]); beyond
/// it, work is refused rather than queued. So a burst of logins can neither starve
/// the async request workers nor grow memory: argon2's buffers stay in as
/// many allocator arenas as there are hashing threads, and on Linux those
/// threads run below the request path (the first at nice 19, the others in
/// the idle class). Verifying against no hash (unknown user) or a malformed one does the same work against a dummy argon2id hash
/// made with the current parameters, so timing does not reveal whether an
/// account exists.
///
/// bcrypt hashes (`$2a$`, `$2b$`, `$2y$`, as eicrud stores them) verify as
/// well, with bcrypt's own 72-byte truncation so that imported passwords keep
/// working; [`needs_rehash`](Self::needs_rehash) is true for them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrocrud::Result<()> {
/// use ferrocrud::auth::{PasswordHasher, PasswordParams};
///
/// let hasher = PasswordHasher::new(PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 })?;
/// let hash = hasher.hash("correct horse").await?;
/// assert!(hasher.verify("correct horse", Some(hash.clone())).await?);
/// assert!(!hasher.verify("wrong", Some(hash)).await?);
/// assert!(!hasher.verify("anything", None).await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
    jobs: mpsc::Sender<Job>,
}

struct Inner {
    argon2: Argon2<'static>,
    params: PasswordParams,
    dummy_hash: String,
    counters: Counters,
}

/// Work for a hashing thread.
type Job = Box<dyn FnOnce(&Inner) + Send>;

/// What [`Error::HashingOverloaded`] tells callers to wait before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.inner.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with these parameters and the default [`HashingLimits`].
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidSetting`] when argon2 refuses the parameters.
    pub fn new(params: PasswordParams) -> Result<Self> {
        Self::with_limits(params, HashingLimits::default())
    }

    /// A hasher with these parameters and limits.
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidSetting`] when argon2 refuses the parameters, or
    /// the limits allow no thread or no queue.
    pub fn with_limits(params: PasswordParams, limits: HashingLimits) -> Result<Self> {
        if limits.threads == 0 || limits.queue == 0 {
            return Err(SetupError::InvalidSetting {
                name: "password hashing limits",
                reason: "threads and queue must both be at least 1".into(),
            }
            .into());
        }
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| SetupError::InvalidSetting {
            name: "password params",
            reason: e.to_string(),
        })?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let dummy_hash = dummy_hash(argon2.params()).map_err(|_| SetupError::InvalidSetting {
            name: "password params",
            reason: "cannot write them in a hash".into(),
        })?;
        let inner = Arc::new(Inner {
            argon2,
            params,
            dummy_hash,
            counters: Counters::default(),
        });
        let jobs = spawn_hashing_threads(&inner, limits)?;
        Ok(Self { inner, jobs })
    }

    /// What the hashing threads are doing and have done.
    pub fn stats(&self) -> HashingStats {
        let counters = &self.inner.counters;
        HashingStats {
            queued: counters.queued.load(Ordering::Relaxed),
            running: counters.running.load(Ordering::Relaxed),
            completed: counters.completed.load(Ordering::Relaxed),
            rejected: counters.rejected.load(Ordering::Relaxed),
        }
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> PasswordParams {
        self.inner.params
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=...`).
    ///
    /// # Errors
    ///
    /// [`Error::HashingOverloaded`] when the queue is full;
    /// [`Error::Internal`] if the hashing thread fails.
    pub async fn hash(&self, password: &str) -> Result<String> {
        self.reserve()?.hash(password).await
    }

    /// Checks a password against a stored hash (argon2id, or bcrypt imported
    /// from eicrud); `None` (no such user) does the same work as a real
    /// argon2id verification and answers `false`.
    ///
    /// # Errors
    ///
    /// [`Error::HashingOverloaded`] when the queue is full;
    /// [`Error::Internal`] if the hashing thread fails. A malformed stored
    /// hash verifies as `false`, after the dummy work.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool> {
        self.reserve()?.verify(password, hash).await
    }

    /// Whether a stored hash should be replaced by a new one: it is not
    /// argon2id (a bcrypt hash imported from eicrud, say) or was made with
    /// other parameters than the current ones.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        if is_bcrypt(hash) {
            return true;
        }
        let Ok(parsed) = PasswordHash::new(hash) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.inner.params.memory_kib
            || params.t_cost() != self.inner.params.iterations
            || params.p_cost() != self.inner.params.parallelism
    }

    /// Takes a place in the hashing queue now, for a hash or verification
    /// made later with the [`HashSlot`]: a login takes it before it writes
    /// anything, so that an overload refuses the attempt before it is
    /// counted. Dropping the slot unused gives the place back.
    ///
    /// # Errors
    ///
    /// [`Error::HashingOverloaded`] when the queue is full;
    /// [`Error::Internal`] if the hashing threads are gone.
    pub fn reserve(&self) -> Result<HashSlot> {
        match self.jobs.clone().try_reserve_owned() {
            Ok(permit) => Ok(HashSlot {
                permit,
                inner: Arc::clone(&self.inner),
            }),
            Err(TrySendError::Full(_)) => {
                self.inner.counters.rejected.fetch_add(1, Ordering::Relaxed);
                Err(Error::HashingOverloaded {
                    retry_after: RETRY_AFTER,
                })
            }
            Err(TrySendError::Closed(_)) => Err(Error::Internal("password hasher closed")),
        }
    }
}

/// A place in the hashing queue ([`PasswordHasher::reserve`]), used by one
/// hash or verification.
pub struct HashSlot {
    permit: mpsc::OwnedPermit<Job>,
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HashSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashSlot").finish_non_exhaustive()
    }
}

impl HashSlot {
    /// [`PasswordHasher::hash`] in this place.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if the hashing thread fails.
    pub async fn hash(self, password: &str) -> Result<String> {
        let password = password.to_owned();
        self.run(move |inner| {
            hash_reusing(&inner.argon2, &password)
                .map_err(|_| Error::Internal("password hashing failed"))
        })
        .await
    }

    /// [`PasswordHasher::verify`] in this place.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if the hashing thread fails.
    pub async fn verify(self, password: &str, hash: Option<String>) -> Result<bool> {
        let password = password.to_owned();
        self.run(move |inner| Ok(inner.verify(&password, hash)))
            .await
    }

    /// Queues `work` in this place and waits for its answer.
    ///
    /// Dropping the future does not stop work already queued; its answer
    /// is then discarded.
    async fn run<T, F>(self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |inner| {
            let result = work(inner);
            // Counted before the answer, so that a caller reading the
            // stats after its answer sees its own work.
            inner.counters.finished();
            // The caller may have gone away; the answer is then dropped.
            let _ = answer.send(result);
        });
        self.inner.counters.queued.fetch_add(1, Ordering::Relaxed);
        self.permit.send(job);
        answered
            .await
            .map_err(|_| Error::Internal("password hashing thread failed"))?
    }
}

/// Starts `limits.threads` hashing threads sharing one job queue of
/// `limits.queue` places; they end when the last [`PasswordHasher`] clone is
/// dropped.
///
/// A fixed set of threads, rather than tokio's blocking pool, keeps the
/// memory argon2 allocates (19 MiB a hash by default) in as many allocator
/// arenas as there are threads: with a fresh blocking thread per hash, the
/// allocator keeps each thread's freed buffers and the process grows by
/// hundreds of MiB under a burst of sign-ups.
fn spawn_hashing_threads(inner: &Arc<Inner>, limits: HashingLimits) -> Result<mpsc::Sender<Job>> {
    let (jobs, queue) = mpsc::channel::<Job>(limits.queue);
    let queue = Arc::new(std::sync::Mutex::new(queue));
    for index in 0..limits.threads {
        let inner = Arc::clone(inner);
        let queue = Arc::clone(&queue);
        std::thread::Builder::new()
            .name(format!("ferrocrud-hash-{index}"))
            .spawn(move || {
                lower_priority(index);
                loop {
                    let job = match queue.lock() {
                        Ok(mut queue) => queue.blocking_recv(),
                        Err(_) => None,
                    };
                    let Some(job) = job else { break };
                    let counters = &inner.counters;
                    counters.queued.fetch_sub(1, Ordering::Relaxed);
                    counters.running.fetch_add(1, Ordering::Relaxed);
                    // A panicking job loses its answer (its caller sees an
                    // internal error) but not the thread.
                    let job = std::panic::AssertUnwindSafe(|| job(&inner));
                    if std::panic::catch_unwind(job).is_err() {
                        counters.finished();
                    }
                }
            })
            .map_err(|_| SetupError::InvalidSetting {
                name: "password hashing threads",
                reason: "cannot start a thread".into(),
            })?;
    }
    Ok(jobs)
}

/// Nice value of the first hashing thread: the lowest, so that it takes a
/// core from the request path as little as a thread that always makes
/// progress can.
#[cfg(target_os = "linux")]
const FIRST_THREAD_NICE: i32 = 19;

/// Puts hashing thread `index` below the threads serving requests, so that
/// a burst of logins slows other logins, not every other request.
///
/// On Linux, the first thread runs at nice 19: however busy the server, it
/// gets a share of a core, and logins move on. The others run in the idle
/// class (`SCHED_IDLE`): they use only the CPU time nothing else wants, and
/// the kernel gives their core to a request thread the moment one wakes,
/// where a thread of the normal class, even at nice 19, keeps the core
/// until its turn ends. Under a login load alone every thread hashes at
/// full speed; under a load of cheap requests the extra threads wait, and
/// those requests keep their latency.
///
/// An unprivileged process may always lower its own threads' priority; if
/// it cannot, hashing keeps the normal one.
#[cfg(target_os = "linux")]
fn lower_priority(index: usize) {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };

    let lowered = if index == 0 {
        // On Linux the nice value belongs to each thread, and `setpriority`
        // with no pid sets the caller's.
        rustix::process::setpriority_process(None, FIRST_THREAD_NICE).map_err(|e| e.to_string())
    } else {
        set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        )
        .map_err(|e| e.to_string())
    };
    if let Err(error) = lowered {
        tracing::debug!(%error, index, "password hashing thread priority unchanged");
    }
}

/// Elsewhere hashing threads keep the normal priority.
#[cfg(not(target_os = "linux"))]
fn lower_priority(_index: usize) {}

impl Inner {
    /// Checks `password` against `hash` (argon2id or bcrypt); `None` or a
    /// malformed hash does the work of a real verification and answers
    /// `false`.
    fn verify(&self, password: &str, hash: Option<String>) -> bool {
        let Some(hash) = hash else {
            self.dummy_verify(password);
            return false;
        };
        if is_bcrypt(&hash) {
            return match bcrypt::verify(password.as_bytes(), &hash) {
                Ok(ok) => ok,
                Err(_) => {
                    self.dummy_verify(password);
                    false
                }
            };
        }
        match PasswordHash::new(&hash) {
            Ok(parsed) => verify_reusing(password.as_bytes(), &parsed),
            Err(_) => {
                self.dummy_verify(password);
                false
            }
        }
    }

    /// The work of a real verification, for a hash that is missing or
    /// malformed, in this hashing thread's memory.
    fn dummy_verify(&self, password: &str) {
        if let Ok(dummy) = PasswordHash::new(&self.dummy_hash) {
            // The outcome is meaningless: only the work counts.
            let _ = verify_reusing(password.as_bytes(), &dummy);
        }
    }
}

/// Whether a stored hash is a bcrypt hash, as eicrud writes them
/// (`$2b$11$…` from bcrypt; `$2a$` and `$2y$` from other implementations).
fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix))
}

/// Runs `work` with this thread's argon2 memory, grown to `blocks` blocks
/// the first time and kept: each hashing thread holds one buffer for its
/// whole life instead of allocating 19 MiB per hash.
fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    thread_local! {
        static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        work(&mut memory[..blocks])
    })
}

/// An argon2 PHC string for `password`, computed in this thread's memory.
fn hash_reusing(
    argon2: &Argon2<'static>,
    password: &str,
) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes)?;
    let params = argon2.params();
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::init_with(output_len, |out| {
        with_memory(params.block_count(), |memory| {
            argon2.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, memory)
        })
        .map_err(|_| argon2::password_hash::Error::Crypto)
    })?;
    argon2id_phc(params, &salt, output)
}

/// The PHC string of an argon2id (v19) hash.
fn argon2id_phc(
    params: &Params,
    salt: &SaltString,
    output: Output,
) -> Result<String, argon2::password_hash::Error> {
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches an argon2 PHC hash (with the hash's own
/// algorithm, version and parameters), computed in this thread's memory and
/// compared in constant time.
fn verify_reusing(password: &[u8], hash: &PasswordHash<'_>) -> bool {
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = with_memory(blocks, |memory| {
        argon2.hash_password_into_with_memory(password, salt, &mut out, memory)
    });
    computed.is_ok() && bool::from(expected.as_bytes().ct_eq(&out))
}

/// A PHC string with the current parameters and a random salt, verified
/// against when there is no hash to verify so that the work is the same.
/// Its output is not computed (nothing needs to match it), which spares a
/// hash and its memory at start.
fn dummy_hash(params: &Params) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = Output::new(&vec![0u8; output_len])?;
    argon2id_phc(params, &salt, output)
}

/// A hash made the standard way, with a fresh allocation: what the tests
/// check the reused-memory path against.
#[cfg(test)]
fn hash_with(
    argon2: &Argon2<'static>,
    password: &str,
) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::PasswordHasher as _;
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Ok(argon2
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordVerifier as _;

    use super::*;

    /// The scheduling policy and nice value of a fresh thread after
    /// [`lower_priority`]`(index)`, from `/proc/thread-self/stat`.
    #[cfg(target_os = "linux")]
    fn lowered(index: usize) -> (u32, i32) {
        std::thread::spawn(move || {
            lower_priority(index);
            let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
            // Fields after the command name, which ends with the last ')':
            // the state is field 3, the nice value 19, the policy 41.
            let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
            (
                fields[41 - 3].parse().unwrap(),
                fields[19 - 3].parse().unwrap(),
            )
        })
        .join()
        .unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn hashing_threads_run_below_the_request_path() {
        const SCHED_OTHER: u32 = 0;
        const SCHED_IDLE: u32 = 5;
        assert_eq!(lowered(0), (SCHED_OTHER, 19), "the first: nice 19");
        assert_eq!(lowered(1).0, SCHED_IDLE, "the others: the idle class");
        assert_eq!(lowered(7).0, SCHED_IDLE);
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let params = Params::new(64, 3, 1, None).unwrap();
        let dummy = dummy_hash(&params).unwrap();
        let parsed = PasswordHash::new(&dummy).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let read = Params::try_from(&parsed).unwrap();
        assert_eq!((read.m_cost(), read.t_cost(), read.p_cost()), (64, 3, 1));
        assert_eq!(parsed.hash.unwrap().len(), Params::DEFAULT_OUTPUT_LEN);
        assert!(!verify_reusing(b"", &parsed));
        assert!(!verify_reusing(b"ferrocrud dummy password", &parsed));
        assert_ne!(
            dummy,
            dummy_hash(&params).unwrap(),
            "a fresh salt each time"
        );
    }

    #[test]
    fn reused_memory_hashes_verify_with_the_standard_path_and_back() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let ours = hash_reusing(&argon2, "pass-word-123").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2.verify_password(b"pass-word-123", &parsed).is_ok());
        assert!(argon2.verify_password(b"other", &parsed).is_err());
        let standard = hash_with(&argon2, "pass-word-123").unwrap();
        assert!(verify_reusing(
            b"pass-word-123",
            &PasswordHash::new(&standard).unwrap()
        ));
        assert!(!verify_reusing(
            b"other",
            &PasswordHash::new(&standard).unwrap()
        ));
    }

    #[test]
    fn reused_memory_verifies_hashes_of_other_parameters() {
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(128, 2, 1, None).unwrap(),
        );
        let hash = hash_with(&old, "pw").unwrap();
        // A smaller buffer first, then the larger one this hash needs.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        );
        let _ = hash_reusing(&small, "x").unwrap();
        assert!(verify_reusing(b"pw", &PasswordHash::new(&hash).unwrap()));
    }

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn work_beyond_the_queue_is_refused_at_once_and_counted() {
        let hasher = PasswordHasher::with_limits(
            PasswordParams {
                memory_kib: 8 * 1024,
                iterations: 2,
                parallelism: 1,
            },
            HashingLimits {
                threads: 1,
                queue: 1,
            },
        )
        .unwrap();
        // All ten are offered in one poll: most find the thread busy and the
        // queue full (how many get in depends on how fast the thread starts).
        let answers =
            futures_util::future::join_all((0..10).map(|_| hasher.verify("pw", None))).await;
        let refused = answers
            .iter()
            .filter(|answer| {
                matches!(answer, Err(Error::HashingOverloaded { retry_after }) if *retry_after == RETRY_AFTER)
            })
            .count();
        let done = answers
            .iter()
            .filter(|answer| matches!(answer, Ok(false)))
            .count();
        assert_eq!(refused + done, 10, "{answers:?}");
        assert!(refused >= 1, "{answers:?}");
        let stats = hasher.stats();
        assert_eq!(stats.rejected, refused as u64);
        assert_eq!(stats.completed, done as u64);
        assert_eq!((stats.queued, stats.running), (0, 0));
    }

    #[test]
    fn limits_without_a_thread_or_a_queue_are_refused() {
        for limits in [
            HashingLimits {
                threads: 0,
                queue: 1,
            },
            HashingLimits {
                threads: 1,
                queue: 0,
            },
        ] {
            let err = PasswordHasher::with_limits(PasswordParams::default(), limits).unwrap_err();
            assert!(matches!(err, Error::Setup(_)), "{err:?}");
        }
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_salted() {
        let hasher = cheap();
        let a = hasher.hash("pass-A-123456").await.unwrap();
        let b = hasher.hash("pass-A-123456").await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_refused() {
        assert!(
            !cheap()
                .verify("x", Some("not a hash".into()))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn rehash_needed_when_params_change() {
        let old = cheap();
        let hash = old.hash("pw").await.unwrap();
        assert!(!old.needs_rehash(&hash));
        let new = PasswordHasher::new(PasswordParams {
            memory_kib: 128,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        assert!(new.needs_rehash(&hash));
    }

    #[tokio::test]
    async fn verifies_bcrypt_hashes_as_eicrud_writes_them() {
        // eicrud hashes with bcrypt at saltRounds 11 (`$2b$11$...`).
        let hash = bcrypt::hash("pass-A-123456", 11).unwrap();
        assert!(hash.starts_with("$2b$11$"), "{hash}");
        let hasher = cheap();
        assert!(
            hasher
                .verify("pass-A-123456", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("pass-A-1234567", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(hasher.needs_rehash(&hash));
    }

    #[tokio::test]
    async fn verifies_a_hash_made_by_eicrud_s_bcrypt_library() {
        // Made by node's `bcrypt` (the library eicrud uses): hashSync("eicrud-pass-1", 11).
        let hash = "$2b$11$caNL1dIP/1BQ4IjUo.cVA.C83v4mi5xWp5knXQldD1kqZomij7U9S";
        let hasher = cheap();
        assert!(
            hasher
                .verify("eicrud-pass-1", Some(hash.into()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("eicrud-pass-2", Some(hash.into()))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn verifies_fixed_bcrypt_vectors_in_every_prefix() {
        // OpenBSD's test vector for "U*U" at cost 5; `$2a$`, `$2b$` and `$2y$`
        // differ only in historical bugs that ASCII passwords do not reach.
        let hasher = cheap();
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let hash = format!("{prefix}05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
            assert!(
                hasher.verify("U*U", Some(hash.clone())).await.unwrap(),
                "{hash}"
            );
            assert!(!hasher.verify("U*V", Some(hash)).await.unwrap());
        }
    }

    #[tokio::test]
    async fn malformed_bcrypt_hash_is_refused() {
        let hasher = cheap();
        assert!(
            !hasher
                .verify("x", Some("$2b$11$short".into()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify(
                    "x",
                    Some("$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW".into())
                )
                .await
                .unwrap()
        );
    }

    #[test]
    fn only_old_or_foreign_hashes_need_a_rehash() {
        let hasher = cheap();
        assert!(
            hasher.needs_rehash("$2y$11$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
        );
        assert!(hasher.needs_rehash("not a hash"));
        assert!(hasher.needs_rehash(&hasher.inner.dummy_hash.replace("argon2id", "argon2i")));
        assert!(!hasher.needs_rehash(&hasher.inner.dummy_hash));
    }
}
