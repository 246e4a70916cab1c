// A cache entry in the keyspace (TYPE "cache"): a value that is fresh until its TTL, then stale
// but still served during its stale-while-revalidate window, then gone (the key's expiry); the
// tags it was stored with; and the lease of the one client asked to (re)fill it.
//
// Leases, as Facebook's memcache leases: the first CACHE.FETCH of a missing (or stale) key gets
// a token; CACHE.FILL with that token stores the value, and is refused once the token is stale
// (the key was stored, invalidated or deleted since, or the lease ran out), so a slow filler
// cannot overwrite newer data. While a lease on a missing key runs, the key holds a placeholder
// (a value without data) that expires with the lease, so an abandoned lease frees itself.
//
// Tags: every entry is listed under each of its tags (one index per server, in the family's
// state), so CACHE.INVALIDATE drops a tag's keys in O(keys); an entry leaves the index when it
// goes, however it goes (DEL, expiry, eviction, overwrite).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/value.h"

namespace pylon::cache {

extern const daemon::ValueType kCacheType;

// CACHE.STATS's counters (and INFO # Cache).
struct CacheStats {
  uint64_t hits = 0;        // fresh values served (CACHE.GET, CACHE.FETCH)
  uint64_t stale_hits = 0;  // values served in their stale-while-revalidate window
  uint64_t misses = 0;
  uint64_t fills = 0;          // CACHE.FILL accepted
  uint64_t fills_refused = 0;  // CACHE.FILL with a stale token
  uint64_t lease_waits = 0;    // CACHE.FETCH answered WAIT, or blocked waiting for a fill
  uint64_t invalidated = 0;    // keys dropped by CACHE.INVALIDATE
};

// The family's state in each server (daemon/family_state.h).
struct CacheFamilyState {
  CacheStats stats;
  daemon::NameMap<std::unordered_set<std::string>> tag_index;  // tag -> the keys stored with it

  // The keys listed under `tag` (a copy: dropping them edits the index).
  std::vector<std::string> KeysTagged(std::string_view tag) const;
};

class CacheValue final : public daemon::Value {
 public:
  // `family`: its server's, whose tag index lists the entry while it lives under a key.
  explicit CacheValue(CacheFamilyState& family) : family_(&family) {}
  ~CacheValue() override;
  CacheValue(const CacheValue&) = delete;
  CacheValue& operator=(const CacheValue&) = delete;

  const daemon::ValueType& type() const override { return kCacheType; }
  std::string_view Encoding() const override { return has_data ? "cache" : "lease"; }
  size_t MemoryUsage() const override;
  void Dump(std::string* out) const override;
  void Placed(std::string_view key) override;

  // The tags, as stored (the index follows: call only through SetTags).
  const std::vector<std::string>& tags() const { return tags_; }
  void SetTags(std::vector<std::string> tags);

  bool has_data = false;
  std::string data;
  int64_t fresh_until_ms = 0;  // 0: fresh until it goes
  uint64_t lease_token = 0;    // 0: no lease
  int64_t lease_until_ms = 0;

  bool Fresh(int64_t now_ms) const { return fresh_until_ms == 0 || now_ms < fresh_until_ms; }
  bool Leased(int64_t now_ms) const { return lease_token != 0 && now_ms < lease_until_ms; }

 private:
  void Index(bool add);

  CacheFamilyState* family_;
  std::vector<std::string> tags_;
  std::string key_;
};

// A new lease token: never 0, never handed out twice by this process.
uint64_t NewLeaseToken();

// The lease protocol's decisions, pure so that they are tested alone.
enum class FetchOutcome {
  kHit,           // fresh: the value
  kStale,         // stale, and someone is refreshing it: the value
  kStaleRefresh,  // stale, nobody refreshing: the value and a token for this caller
  kWait,          // missing, and someone is filling it
  kMiss,          // missing (or its filler's lease ended): a token for this caller
};
// What CACHE.FETCH answers for the entry at a key (nullptr: none) at now_ms.
FetchOutcome DecideFetch(const CacheValue* entry, int64_t now_ms);
// Whether CACHE.FILL with `token` may store: the token is the entry's and its lease still runs.
bool FillAllowed(const CacheValue* entry, uint64_t token, int64_t now_ms);

}  // namespace pylon::cache
