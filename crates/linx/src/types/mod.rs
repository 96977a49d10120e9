//! Value types: IP prefixes, interface addresses, address ranges, MAC addresses, interface names.
