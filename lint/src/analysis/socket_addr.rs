//! Addresses that need no name resolution, for the catalog entries that
//! block only while resolving one (`blocks = "on-name-resolution"`:
//! `std::net::TcpListener::bind`, `UdpSocket::bind`, `UdpSocket::connect`).
//!
//! std turns their `impl ToSocketAddrs` argument into socket addresses
//! first: a `SocketAddr*` or `(IpAddr, u16)` value is used as it is, and a
//! `str` that parses as a `SocketAddr` (or a `(&str, u16)` whose host parses
//! as an `IpAddr`) is parsed, never looked up. Only a host name goes to
//! `getaddrinfo`, which may wait for DNS. What remains (`bind(2)`,
//! `listen(2)`, a UDP `connect(2)` that only records the peer) returns at
//! once. So such a call is reported unless its address is known to be one
//! of those: anything not recognised here (a `&str` parameter, a `String`
//! built elsewhere) may name a host and stays reported.

use std::net::{IpAddr, SocketAddr};

use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Token};

use super::scope::{Ns, Resolver, Target, Ty};
use super::types;
use crate::catalog::{Blocks, Entry};

/// The `std::net` socket address types (also spelled `core::net::..`).
const SOCKET_ADDR_TYPES: &[&str] = &["SocketAddr", "SocketAddrV4", "SocketAddrV6"];

/// The `std::net` IP address types.
const IP_ADDR_TYPES: &[&str] = &["IpAddr", "Ipv4Addr", "Ipv6Addr"];

/// The payload of the `std::net` address enums' variants.
const VARIANT_PAYLOADS: &[(&str, &str)] = &[
    ("IpAddr::V4", "Ipv4Addr"),
    ("IpAddr::V6", "Ipv6Addr"),
    ("SocketAddr::V4", "SocketAddrV4"),
    ("SocketAddr::V6", "SocketAddrV6"),
];

/// Methods that keep the address their receiver holds: the `Result` of a
/// `parse::<SocketAddr>()`, a clone.
const ADDRESS_PRESERVING_METHODS: &[&str] = &["unwrap", "expect", "clone"];

/// Whether a call of `entry` with these arguments may wait: always, unless
/// the entry blocks only on name resolution and its address (the call's
/// last argument, in method and `Type::method(receiver, ..)` form alike;
/// callers put a method's receiver first, so `addr.to_socket_addrs()` is
/// judged by `addr`) is an IP socket address.
pub fn may_block<'a>(
    resolver: &Resolver<'_>,
    entry: &Entry,
    mut args: impl DoubleEndedIterator<Item = &'a Expr>,
) -> bool {
    match entry.blocks {
        Blocks::Always => true,
        Blocks::OnNameResolution => args
            .next_back()
            .is_none_or(|address| !is_ip_socket_address(resolver, address)),
    }
}

/// The type a `std::net` address enum's variant holds, for the binding of
/// a pattern (`IpAddr::V4(ip)` binds an `Ipv4Addr`).
pub fn variant_payload(variant: &str) -> Option<Ty> {
    let variant = variant
        .strip_prefix("std::net::")
        .or_else(|| variant.strip_prefix("core::net::"))?;
    VARIANT_PAYLOADS
        .iter()
        .find(|(name, _)| *name == variant)
        .map(|(_, payload)| Ty::Named(format!("std::net::{payload}")))
}

/// Whether `expr`, handed to an `impl ToSocketAddrs` parameter, is known
/// to need no name resolution.
fn is_ip_socket_address(resolver: &Resolver<'_>, expr: &Expr) -> bool {
    let expr = peel(expr);
    match expr {
        // `"127.0.0.1:0"`, `"[::1]:8080"`.
        Expr::Lit(lit) => string_literal(lit).is_some_and(|text| parses_as_socket_addr(&text)),
        // `format!("[::1]:{port}")`, `concat!("127.0.0.1:", 80)`.
        Expr::Macro(mac) => template_of(&mac.mac).is_some_and(|text| parses_as_socket_addr(&text)),
        // `(Ipv4Addr::LOCALHOST, 0)`, `("127.0.0.1", port)`: the port is a
        // `u16` whatever its expression; only the host could be a name.
        Expr::Tuple(tuple) if tuple.elems.len() == 2 => is_ip_address(resolver, &tuple.elems[0]),
        // `&[a, b][..]`: a slice of socket addresses.
        Expr::Index(index) if is_full_range(&index.index) => match peel(&index.expr) {
            Expr::Array(array) => {
                !array.elems.is_empty()
                    && array
                        .elems
                        .iter()
                        .all(|elem| is_socket_addr_value(resolver, elem))
            }
            _ => false,
        },
        _ => match address_type(resolver, expr) {
            Some(Ty::Named(name)) => is_std_net_type(&name, SOCKET_ADDR_TYPES),
            // An annotated `(Ipv4Addr, u16)`.
            Some(Ty::Tuple(elems)) => match elems.as_slice() {
                [Some(Ty::Named(host)), _] => is_std_net_type(host, IP_ADDR_TYPES),
                _ => false,
            },
            None | Some(Ty::Bounded(_)) => false,
        },
    }
}

/// Whether `expr` is a value of a `SocketAddr*` type.
fn is_socket_addr_value(resolver: &Resolver<'_>, expr: &Expr) -> bool {
    match address_type(resolver, peel(expr)) {
        Some(Ty::Named(name)) => is_std_net_type(&name, SOCKET_ADDR_TYPES),
        _ => false,
    }
}

/// `..`, the index of a whole-slice reborrow.
fn is_full_range(index: &Expr) -> bool {
    matches!(peel(index), Expr::Range(range) if range.start.is_none() && range.end.is_none())
}

/// Whether `expr`, the host of a `(host, port)` address, is an IP address:
/// a value of an `IpAddr*` type, or a string that parses as one (std parses
/// a `(&str, u16)` host as an IP address before looking it up).
fn is_ip_address(resolver: &Resolver<'_>, expr: &Expr) -> bool {
    let expr = peel(expr);
    if let Expr::Lit(lit) = expr {
        return string_literal(lit).is_some_and(|text| text.parse::<IpAddr>().is_ok());
    }
    match address_type(resolver, expr) {
        Some(Ty::Named(name)) => is_std_net_type(&name, IP_ADDR_TYPES),
        _ => false,
    }
}

/// The type of an address expression: what `types::infer` knows (locals,
/// annotations, `SocketAddr::from(..)`/`::new(..)`), plus the shapes it
/// does not type: `"..".parse::<SocketAddr>()`, associated constants
/// (`Ipv4Addr::LOCALHOST`) and enum variants (`IpAddr::V4(..)`).
fn address_type(resolver: &Resolver<'_>, expr: &Expr) -> Option<Ty> {
    match expr {
        Expr::MethodCall(call) if call.method == "parse" => {
            let args = &call.turbofish.as_ref()?.args;
            match args.first() {
                Some(syn::GenericArgument::Type(ty)) if args.len() == 1 => {
                    resolver.resolve_type(ty)
                }
                _ => None,
            }
        }
        Expr::Path(path) if path.qself.is_none() => {
            match resolver.resolve(&path.path, Ns::Value)? {
                Target::Local(ty) => ty,
                // `Ipv4Addr::LOCALHOST`: the owner of an associated constant.
                Target::Path(resolved) => {
                    let (owner, name) = resolved.rsplit_once("::")?;
                    let is_constant = name.chars().all(|c| c.is_ascii_uppercase() || c == '_');
                    is_constant.then(|| Ty::Named(owner.to_string()))
                }
                Target::Module(_) => None,
            }
        }
        Expr::Call(call) => {
            // `IpAddr::V4(..)`: the enum, not a function's return.
            if let Expr::Path(func) = &*call.func
                && func.qself.is_none()
                && let Some(resolved) = resolver.resolve_to_path(&func.path, Ns::Value)
                && variant_payload(&resolved).is_some()
                && let Some((owner, _)) = resolved.rsplit_once("::")
            {
                return Some(Ty::Named(owner.to_string()));
            }
            types::infer(resolver, expr)
        }
        _ => types::infer(resolver, expr),
    }
}

/// Whether a resolved type path is `std::net::<one of names>` (or its
/// `core::net` original).
fn is_std_net_type(path: &str, names: &[&str]) -> bool {
    path.strip_prefix("std::net::")
        .or_else(|| path.strip_prefix("core::net::"))
        .is_some_and(|name| names.contains(&name))
}

/// Looks through what does not change the address: parentheses, `&`, `?`,
/// `.unwrap()`, `.expect(..)`, `.clone()`.
fn peel(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::Paren(inner) => &inner.expr,
            Expr::Group(inner) => &inner.expr,
            Expr::Reference(inner) => &inner.expr,
            Expr::Try(inner) => &inner.expr,
            Expr::MethodCall(call)
                if ADDRESS_PRESERVING_METHODS
                    .iter()
                    .any(|method| call.method == method) =>
            {
                &call.receiver
            }
            _ => return expr,
        };
    }
}

fn string_literal(lit: &syn::ExprLit) -> Option<String> {
    match &lit.lit {
        Lit::Str(text) => Some(text.value()),
        _ => None,
    }
}

fn parses_as_socket_addr(text: &str) -> bool {
    text.parse::<SocketAddr>().is_ok()
}

/// The address a `format!` or `concat!` call builds, as far as its literal
/// pieces tell: `concat!`'s string and integer literals joined;
/// `format!`'s template with each placeholder of the port (after the last
/// `:`) read as a port number. A placeholder anywhere else, a format spec
/// (`{port:?}`) or an escaped brace gives `None`: that text could be
/// anything, a host name included.
fn template_of(mac: &syn::Macro) -> Option<String> {
    let name = mac.path.segments.last()?.ident.to_string();
    let args = mac
        .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        .ok()?;
    match name.as_str() {
        "format" => {
            let Expr::Lit(template) = args.first()? else {
                return None;
            };
            let (host, port) = string_literal(template)?
                .rsplit_once(':')
                .map(|(host, port)| (host.to_string(), port.to_string()))?;
            if host.contains(['{', '}']) {
                return None;
            }
            Some(format!("{host}:{}", port_with_placeholders(&port)?))
        }
        "concat" => args
            .iter()
            .map(|arg| match arg {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Str(text) => Some(text.value()),
                    Lit::Int(int) => Some(int.base10_digits().to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// A `format!` template's port with every `{}`, `{0}` or `{name}`
/// placeholder replaced by `0`; `None` when anything else is in it.
fn port_with_placeholders(port: &str) -> Option<String> {
    let mut number = String::new();
    let mut chars = port.chars();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' => number.push(c),
            '{' => {
                let argument: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if !argument
                    .chars()
                    .all(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    return None;
                }
                number.push('0');
            }
            _ => return None,
        }
    }
    (!number.is_empty()).then_some(number)
}
