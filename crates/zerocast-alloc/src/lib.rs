#![doc = include_str!("../README.md")]
#![deny(unsafe_op_in_unsafe_fn)]

mod allocator;
mod count;
mod future;
mod guard;
mod report;
mod state;

pub use allocator::GuardedAlloc;
pub use count::{assert_no_alloc, count_allocs, AllocStats};
pub use future::{NoAlloc, NoAllocExt};
pub use guard::{
    allow_alloc, default_mode, set_default_mode, GuardOptions, HotPathGuard, Mode, ENFORCING,
};
pub use report::{last_violation, total_violation_count, violation_count, AllocOp, Violation};
/// # Examples
///
/// ```
/// use zerocast_alloc::{hot_path, GuardedAlloc};
///
/// #[global_allocator]
/// static GLOBAL: GuardedAlloc = GuardedAlloc::system();
///
/// struct Router {
///     routes: [u32; 4],
/// }
///
/// impl Router {
///     #[hot_path] // section `rust_out::Router::route` (the crate name, then the path)
///     fn route(&self, key: u32) -> u32 {
///         self.routes[(key % 4) as usize]
///     }
///
///     #[hot_path]
///     fn route_and_log(&self, key: u32) -> String {
///         format!("routed to {}", self.route(key))
///     }
///
///     #[hot_path] // every poll of the body is guarded
///     async fn route_async(&self, key: u32) -> u32 {
///         self.route(key)
///     }
/// }
///
/// fn main() {
///     let router = Router { routes: [10, 20, 30, 40] };
///     assert_eq!(router.route(5), 20);
///     # if zerocast_alloc::ENFORCING {
///     let caught = std::panic::catch_unwind(|| router.route_and_log(1));
///     let message = caught.unwrap_err().downcast::<String>().unwrap();
///     assert!(message.contains("section `rust_out::Router::route_and_log`"), "{message}");
///     # }
///     # let _ = router.route_async(1);
/// }
/// ```
///
/// # Panics
///
/// As [`HotPathGuard`]: when the function returns, in [`Mode::Panic`], if its
/// body allocated. (If that panic happens as the function returns, its return
/// value is leaked rather than dropped: it only happens in a failing test.)
pub use zerocast_macros::hot_path;

/// Support for the code `#[hot_path]` expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    /// The suffix of the marker fn the macro declares inside the function.
    const MARKER: &str = "::__zerocast_hot_path";

    /// The annotated function's path, from the type name of a marker fn
    /// declared inside it (`my_crate::module::Type::method::__zerocast_hot_path`,
    /// with `::{{closure}}` inside `async fn`s).
    #[inline]
    pub fn section_of(marker_type_name: &'static str) -> &'static str {
        let mut name = marker_type_name
            .strip_suffix(MARKER)
            .unwrap_or(marker_type_name);
        while let Some(outer) = name.strip_suffix("::{{closure}}") {
            name = outer;
        }
        name
    }

    /// The type name of `f`, a fn item.
    #[inline]
    pub fn type_name_of<F>(_f: &F) -> &'static str {
        core::any::type_name::<F>()
    }
}

#[cfg(test)]
#[global_allocator]
static TEST_ALLOC: GuardedAlloc = GuardedAlloc::system();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_of_strips_marker_and_closures() {
        assert_eq!(
            __private::section_of("app::Foo<_>::am::{{closure}}::__zerocast_hot_path"),
            "app::Foo<_>::am"
        );
        assert_eq!(
            __private::section_of("app::free::__zerocast_hot_path"),
            "app::free"
        );
        assert_eq!(__private::section_of("plain"), "plain");
    }

    #[test]
    fn counts_only_inside_the_scope() {
        let outside = Box::new(1u8);
        let (len, stats) = count_allocs(|| {
            let v: Vec<u32> = (1..=3).collect();
            v.len()
        });
        drop(outside);
        assert_eq!(len, 3);
        assert_eq!(
            stats,
            AllocStats {
                allocs: 1,
                reallocs: 0,
                deallocs: 1,
                bytes: 12
            }
        );
    }

    #[test]
    fn nested_counts_see_their_own_share() {
        let ((_, inner), outer) = count_allocs(|| {
            let _a = Box::new(1u64);
            count_allocs(|| Box::new(2u32))
        });
        assert_eq!(inner.allocs, 1);
        assert_eq!(inner.bytes, 4);
        assert_eq!(outer.allocs, 2);
        assert_eq!(outer.bytes, 12);
    }

    // Guards record only in builds that enforce them (`ENFORCING`).
    #[cfg(any(debug_assertions, feature = "enforce"))]
    #[test]
    fn guard_records_operation_size_and_section_in_count_mode() {
        let before = violation_count();
        {
            let _g = GuardOptions::new().mode(Mode::Count).enter("unit::count");
            let _v: Vec<u16> = std::hint::black_box(Vec::with_capacity(10));
        }
        assert_eq!(violation_count() - before, 1);
        assert_eq!(
            last_violation(),
            Some(Violation {
                op: AllocOp::Alloc,
                size: 20,
                section: "unit::count"
            })
        );
    }

    #[test]
    fn assert_no_alloc_panics_with_the_report() {
        let err = std::panic::catch_unwind(|| assert_no_alloc(|| Box::new([0u8; 3])))
            .expect_err("an allocation inside assert_no_alloc must panic");
        let msg = err.downcast::<String>().expect("a formatted message");
        assert!(
            msg.contains("ALLOCATION IN HOT PATH: alloc of 3 bytes in section `assert_no_alloc`"),
            "{msg}"
        );
    }

    #[test]
    fn allow_alloc_permits_inside_a_section() {
        let v = assert_no_alloc(|| allow_alloc(|| vec![7u8; 5]));
        assert_eq!(v, [7; 5]);
    }
}
