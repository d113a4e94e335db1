"""IPv4 addresses carried inside IPv6, one per way of carrying them, for the SSRF tests."""

from __future__ import annotations

# 127.0.0.1 carried inside IPv6, one address per way of carrying it.
EMBEDDED_LOOPBACK = [
    "::ffff:127.0.0.1",  # IPv4-mapped, RFC 4291
    "::127.0.0.1",  # IPv4-compatible, RFC 4291
    "::ffff:0:7f00:1",  # IPv4-translated, RFC 2765
    "64:ff9b::7f00:1",  # NAT64 well-known prefix, RFC 6052
    "2002:7f00:1::",  # 6to4, RFC 3056
    "2001:0:808:808::80ff:fffe",  # Teredo: server 8.8.8.8, client 127.0.0.1, RFC 4380
    "2a00:1450::200:5efe:7f00:1",  # ISATAP interface identifier, RFC 5214
]
# 169.254.169.254 carried the same ways.
EMBEDDED_METADATA = [
    "::ffff:169.254.169.254",
    "::169.254.169.254",
    "::ffff:0:a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "2002:a9fe:a9fe::",
    "2001:0:808:808::5601:5601",
    "2a00:1450::200:5efe:a9fe:a9fe",
]
# Local-use NAT64 (RFC 8215): 127.0.0.1 read at /96, 169.254.169.254 read at /48, and 8.8.8.8
# at every prefix length a translator may use (/48, /56, /64, /96).
LOCAL_USE_NAT64 = ["64:ff9b:1::7f00:1", "64:ff9b:1:a9fe:a9:fe00::", "64:ff9b:1:808:8:808:808:808"]
