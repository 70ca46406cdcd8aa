//! The `#[hot_path]` attribute, re-exported and documented by
//! [`zerocast-alloc`](https://docs.rs/zerocast-alloc): use it from there.

use proc_macro::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{parse_macro_input, ItemFn};

/// Makes the annotated function a hot-path section of `zerocast-alloc`.
///
/// On a `fn` or method the whole body runs inside a `HotPathGuard`; on an
/// `async fn` every poll of the body does (through `NoAllocExt::no_alloc`), so
/// the executor's allocations between polls are never flagged and a task that
/// moves between threads stays guarded. The section is named by the function's
/// real path, for example `my_crate::engine::Router::route`.
///
/// Examples are on the re-export, `zerocast_alloc::hot_path`, where they can
/// run against the guarded allocator.
#[proc_macro_attribute]
pub fn hot_path(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return syn::Error::new(attr.span(), "#[hot_path] takes no arguments")
            .to_compile_error()
            .into();
    }
    let function = parse_macro_input!(item as ItemFn);
    expand(function).into()
}

fn expand(function: ItemFn) -> proc_macro2::TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    if let Some(constness) = &sig.constness {
        return syn::Error::new(
            constness.span(),
            "#[hot_path] cannot guard a `const fn`: a guard is entered at run time",
        )
        .to_compile_error();
    }
    // A marker fn declared inside the function: its type name is the
    // function's own path (with the impl's type for methods).
    let section = quote! {
        fn __zerocast_hot_path() {}
        let __zerocast_section = ::zerocast_alloc::__private::section_of(
            ::zerocast_alloc::__private::type_name_of(&__zerocast_hot_path),
        );
    };
    let body = if sig.asyncness.is_some() {
        quote! {
            #section
            ::zerocast_alloc::NoAllocExt::no_alloc(async move #block, __zerocast_section).await
        }
    } else {
        quote! {
            #section
            let __zerocast_guard = ::zerocast_alloc::HotPathGuard::enter(__zerocast_section);
            #block
        }
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}
