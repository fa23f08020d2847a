"""Getting a kernel to boot: Debian series fetched into the cache, modules, and the rootfs."""
