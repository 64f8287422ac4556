// chromalite's binding of hnswlib (the HNSW library Chroma itself uses), made for an embedded store:
//  - inserts run off the main thread, on several threads at once (hnswlib's addPoint is thread-safe),
//    while the main thread searches beside them (see TurnGate);
//  - a label inserted again gets a new graph element and its old one is retired (marked deleted),
//    instead of hnswlib's in-place update, which re-prunes the neighbours' lists until records become
//    unreachable (hnswlib#522; measured: 242 of 20,000 records not found by their own vector after ten
//    rounds of rewrites, 4 with new elements); `compact` rebuilds the graph without retired elements;
//  - vectors cross as Float32Array, results come back as typed arrays (no per-element JS values);
//  - an allow-list filter is a sorted Float64Array checked in C++ (no JS call per candidate);
//  - exact distances over chosen labels, and over a flat buffer of vectors not yet in the graph, use
//    hnswlib's own SIMD distance functions, so exact and approximate answers agree bit for bit.
// The caller (src/vector/hnsw-index.ts) guarantees what hnswlib cannot: no resize or save while an
// insert batch is in flight (checked here too), and no search during a resize (one JS thread).
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <queue>
#include <memory>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "hnswlib/hnswlib.h"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#elif defined(_WIN32)
#include <windows.h>
#endif

namespace {

using hnswlib::labeltype;

enum class Space { L2, IP, Cosine };

Space ParseSpace(const std::string& name) {
  if (name == "l2") return Space::L2;
  if (name == "ip") return Space::IP;
  if (name == "cosine") return Space::Cosine;
  throw std::invalid_argument("unknown space '" + name + "' (expected l2, ip or cosine)");
}

std::unique_ptr<hnswlib::SpaceInterface<float>> MakeSpace(Space space, size_t dim) {
  if (space == Space::L2) return std::make_unique<hnswlib::L2Space>(dim);
  return std::make_unique<hnswlib::InnerProductSpace>(dim);
}

// As hnswlib-node (and so Chroma's bindings) normalise for the cosine space: x / (|x| + 1e-30) in float.
void Normalize(float* v, size_t dim) {
  float norm = 0.0f;
  for (size_t i = 0; i < dim; i++) norm += v[i] * v[i];
  norm = 1.0f / (std::sqrt(norm) + 1e-30f);
  for (size_t i = 0; i < dim; i++) v[i] *= norm;
}

// Labels are record rowids: whole numbers well inside float64's exact range.
class SortedAllowList : public hnswlib::BaseFilterFunctor {
 public:
  SortedAllowList(const double* labels, size_t n) : begin_(labels), end_(labels + n) {}
  bool operator()(labeltype id) override {
    return std::binary_search(begin_, end_, static_cast<double>(id));
  }

 private:
  const double* begin_;
  const double* end_;
};

// The k smallest (distance, label) pairs, nearest first.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Push(float distance, double label) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.emplace_back(distance, label);
      std::push_heap(heap_.begin(), heap_.end());
    } else if (std::make_pair(distance, label) < heap_.front()) {  // ties: the lower label (older record) wins
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = {distance, label};
      std::push_heap(heap_.begin(), heap_.end());
    }
  }
  std::vector<std::pair<float, double>> Sorted() {
    std::sort_heap(heap_.begin(), heap_.end());
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<std::pair<float, double>> heap_;
};

Napi::Object ToResult(Napi::Env env, const std::vector<std::pair<float, double>>& hits) {
  auto labels = Napi::Float64Array::New(env, hits.size());
  auto distances = Napi::Float32Array::New(env, hits.size());
  for (size_t i = 0; i < hits.size(); i++) {
    distances[i] = hits[i].first;
    labels[i] = hits[i].second;
  }
  auto out = Napi::Object::New(env);
  out.Set("labels", labels);
  out.Set("distances", distances);
  return out;
}

// A query as the space expects it (normalised copy for cosine).
std::vector<float> PrepareQuery(const Napi::Float32Array& query, Space space) {
  std::vector<float> q(query.Data(), query.Data() + query.ElementLength());
  if (space == Space::Cosine) Normalize(q.data(), q.size());
  return q;
}

// hnswlib's searches take no locks: a search beside an insert can follow a neighbour list being
// rewired or read a vector being copied, and then miss records or crash (hnswlib#29, #562: "searching
// and inserting are not thread-safe between each other"). Inserts on several threads are safe
// together (they lock each node's list while they read or rewire it), and searches come from the one
// JS thread. Every insert adds a new element (a label inserted again retires its old one, which only
// sets its deleted mark), so no vector already in the graph changes. So:
//  - a search that starts while no point is being inserted runs hnswlib's own search, alone: new
//    inserts wait for it (a fraction of a millisecond);
//  - a search that starts while points are being inserted runs beside them (ConcurrentSearch, which
//    locks each list it reads, as hnswlib's inserts do), so neither waits for the other: an import
//    keeps indexing under back-to-back queries, and queries do not queue behind inserts;
//  - the other reads (exact distances, stored vectors, marking deletions, which read the label map
//    inserts change) take turns point by point: such a read waits for the inserts in progress and
//    holds new ones off while it waits and runs.
class TurnGate {
 public:
  void BeginInsert() {
    std::unique_lock<std::mutex> lock(mutex_);
    turn_.wait(lock, [&] { return reading_ == 0 && waiting_ == 0; });
    inserting_++;
  }
  void EndInsert() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--inserting_ == 0) turn_.notify_all();
  }
  // A read that excludes every insert.
  void BeginRead() {
    std::unique_lock<std::mutex> lock(mutex_);
    waiting_++;
    turn_.wait(lock, [&] { return inserting_ == 0; });
    waiting_--;
    reading_++;
  }
  void EndRead() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--reading_ == 0) turn_.notify_all();
  }
  // A graph search: true when it runs alone (as BeginRead, without waiting), false when it runs beside
  // inserts and must use ConcurrentSearch (it never waits).
  bool BeginSearch() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (inserting_ == 0) {
      reading_++;
      return true;
    }
    return false;
  }
  void EndSearch(bool alone) {
    if (alone) EndRead();
  }

 private:
  std::mutex mutex_;
  std::condition_variable turn_;
  int inserting_ = 0;  // points being inserted
  int reading_ = 0;    // reads that exclude every insert
  int waiting_ = 0;    // such reads waiting for their turn
};

// Holds a read turn for a scope.
class ReadTurn {
 public:
  explicit ReadTurn(TurnGate& gate) : gate_(gate) { gate_.BeginRead(); }
  ~ReadTurn() { gate_.EndRead(); }
  ReadTurn(const ReadTurn&) = delete;
  ReadTurn& operator=(const ReadTurn&) = delete;

 private:
  TurnGate& gate_;
};

// Holds a search turn for a scope; alone() says which search may run.
class SearchTurn {
 public:
  explicit SearchTurn(TurnGate& gate) : gate_(gate), alone_(gate.BeginSearch()) {}
  ~SearchTurn() { gate_.EndSearch(alone_); }
  bool alone() const { return alone_; }
  SearchTurn(const SearchTurn&) = delete;
  SearchTurn& operator=(const SearchTurn&) = delete;

 private:
  TurnGate& gate_;
  bool alone_;
};

using Graph = hnswlib::HierarchicalNSW<float>;

inline void Prefetch(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}
using hnswlib::tableint;

// Copies a node's neighbour list at `level` under the node's lock: an insert may be rewiring it. A node
// is in another's list only once its vector, label, level and lists are written (hnswlib links a new
// point last), and taking the list's lock makes those writes visible here.
void CopyNeighbors(Graph* g, tableint node, int level, std::vector<tableint>& out) {
  std::lock_guard<std::mutex> lock(g->link_list_locks_[node]);
  const hnswlib::linklistsizeint* list = level == 0 ? g->get_linklist0(node) : g->get_linklist(node, level);
  const size_t n = g->getListCount(const_cast<hnswlib::linklistsizeint*>(list));
  const auto* ids = reinterpret_cast<const tableint*>(list + 1);
  out.assign(ids, ids + n);
}

// The k nearest labels to `query` (nearest first), found as hnswlib's search finds them (greedy descent
// through the upper levels, then a best-first search of width ef on level 0, skipping deleted and
// filtered-out points), safe beside inserts of new points: every neighbour list is read under its lock,
// the entry point under the graph's global lock. Same distance function, so the same distances.
std::vector<std::pair<float, double>> ConcurrentSearch(Graph* g, const float* query, size_t k, size_t ef,
                                                       hnswlib::BaseFilterFunctor* filter) {
  tableint entry;
  int top_level;
  {
    std::lock_guard<std::mutex> lock(g->global);
    entry = g->enterpoint_node_;
    top_level = g->maxlevel_;
  }
  if (top_level < 0 || k == 0) return {};
  auto dist = g->fstdistfunc_;
  void* param = g->dist_func_param_;
  std::vector<tableint> neighbors;
  float entry_distance = dist(query, g->getDataByInternalId(entry), param);
  for (int level = top_level; level > 0; level--) {
    for (bool moved = true; moved;) {
      moved = false;
      CopyNeighbors(g, entry, level, neighbors);
      for (tableint candidate : neighbors) {
        float d = dist(query, g->getDataByInternalId(candidate), param);
        if (d < entry_distance) {
          entry_distance = d;
          entry = candidate;
          moved = true;
        }
      }
    }
  }
  const bool deletions = g->num_deleted_ > 0;
  auto eligible = [&](tableint id) {
    return (!deletions || !g->isMarkedDeleted(id)) && (filter == nullptr || (*filter)(g->getExternalLabel(id)));
  };
  hnswlib::VisitedList* visited = g->visited_list_pool_->getFreeVisitedList();
  const hnswlib::vl_type mark = visited->curV;
  // Ordered by distance alone, as hnswlib's queues are: ties then fall out in the same order, so on a
  // graph at rest both searches answer exactly alike.
  using Queue = std::priority_queue<std::pair<float, tableint>, std::vector<std::pair<float, tableint>>, Graph::CompareByFirst>;
  Queue best;      // the ef nearest eligible points, farthest on top
  Queue frontier;  // points to expand, nearest on top (negated)
  float bound = std::numeric_limits<float>::max();
  if (eligible(entry)) {
    best.emplace(entry_distance, entry);
    bound = entry_distance;
  }
  frontier.emplace(-entry_distance, entry);
  visited->mass[entry] = mark;
  while (!frontier.empty()) {
    auto [negated, node] = frontier.top();
    // Stop once the nearest unexpanded point is farther than the ef found; with nothing to skip, also
    // before ef are found (hnswlib's rule, so the same points are expanded).
    if (-negated > bound && (best.size() == ef || (filter == nullptr && !deletions))) break;
    frontier.pop();
    CopyNeighbors(g, node, 0, neighbors);
    for (size_t i = 0; i < neighbors.size(); i++) {
      if (i + 1 < neighbors.size()) Prefetch(g->getDataByInternalId(neighbors[i + 1]));
      tableint candidate = neighbors[i];
      if (visited->mass[candidate] == mark) continue;
      visited->mass[candidate] = mark;
      float d = dist(query, g->getDataByInternalId(candidate), param);
      if (best.size() < ef || d < bound) {
        frontier.emplace(-d, candidate);
        if (eligible(candidate)) best.emplace(d, candidate);
        if (best.size() > ef) best.pop();
        if (!best.empty()) bound = best.top().first;
      }
    }
  }
  g->visited_list_pool_->releaseVisitedList(visited);
  std::vector<std::pair<float, double>> found(best.size());
  for (size_t i = best.size(); i > 0; i--) {
    found[i - 1] = {best.top().first, static_cast<double>(g->getExternalLabel(best.top().second))};
    best.pop();
  }
  // A label inserted again while the search ran may have been met twice, its old element before it
  // was retired and its new one: the nearer answers. (On a graph at rest labels are unique.)
  std::vector<std::pair<float, double>> hits;
  std::unordered_set<double> seen;
  for (const auto& hit : found) {
    if (hits.size() == k) break;
    if (seen.insert(hit.second).second) hits.push_back(hit);
  }
  return hits;
}

class VectorIndex : public Napi::ObjectWrap<VectorIndex> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VectorIndex",
                       {
                           InstanceMethod<&VectorIndex::Init>("init"),
                           InstanceMethod<&VectorIndex::Load>("load"),
                           InstanceMethod<&VectorIndex::Save>("save"),
                           InstanceMethod<&VectorIndex::Resize>("resize"),
                           InstanceMethod<&VectorIndex::SetEf>("setEf"),
                           InstanceMethod<&VectorIndex::Add>("add"),
                           InstanceMethod<&VectorIndex::MarkDeleted>("markDeleted"),
                           InstanceMethod<&VectorIndex::Compact>("compact"),
                           InstanceMethod<&VectorIndex::CancelCompaction>("cancelCompaction"),
                           InstanceMethod<&VectorIndex::AdoptCompacted>("adoptCompacted"),
                           InstanceMethod<&VectorIndex::Search>("search"),
                           InstanceMethod<&VectorIndex::Distances>("distances"),
                           InstanceMethod<&VectorIndex::Vector>("vector"),
                           InstanceMethod<&VectorIndex::Labels>("labels"),
                           InstanceAccessor<&VectorIndex::Capacity>("capacity"),
                           InstanceAccessor<&VectorIndex::Size>("size"),
                           InstanceAccessor<&VectorIndex::Busy>("busy"),
                           InstanceAccessor<&VectorIndex::SearchesBesideInserts>("searchesBesideInserts"),
                       });
  }

  VectorIndex(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VectorIndex>(info) {
    space_ = ParseSpace(info[0].As<Napi::String>().Utf8Value());
    dim_ = info[1].As<Napi::Number>().Uint32Value();
    if (dim_ == 0) throw Napi::RangeError::New(info.Env(), "dimension must be positive");
    space_impl_ = MakeSpace(space_, dim_);
  }

  hnswlib::HierarchicalNSW<float>* graph() { return graph_.get(); }
  Space space() const { return space_; }
  size_t dim() const { return dim_; }
  std::atomic<int> busy_{0};
  double searches_beside_inserts_ = 0;  // searches that ran ConcurrentSearch (main thread only)
  TurnGate turns_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> loaded_;  // handed over by a finished load
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> compacted_;  // built by a compaction, until adopted
  std::atomic<bool> cancel_compaction_{false};

  void Adopt() {
    graph_ = std::move(loaded_);
  }
  hnswlib::SpaceInterface<float>* space_impl() { return space_impl_.get(); }

 private:
  void RequireGraph(Napi::Env env) {
    if (!graph_) throw Napi::Error::New(env, "the vector index is not initialised");
  }
  void RequireIdle(Napi::Env env, const char* what) {
    if (busy_.load() != 0) throw Napi::Error::New(env, std::string(what) + " while the vector index is busy");
  }

  // init(capacity, m, efConstruction, seed)
  Napi::Value Init(const Napi::CallbackInfo& info) {
    RequireIdle(info.Env(), "init");
    size_t capacity = info[0].As<Napi::Number>().Int64Value();
    size_t m = info[1].As<Napi::Number>().Int64Value();
    size_t ef_construction = info[2].As<Napi::Number>().Int64Value();
    size_t seed = info[3].As<Napi::Number>().Int64Value();
    try {
      graph_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_impl_.get(), capacity, m, ef_construction, seed);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Compact(const Napi::CallbackInfo& info);

  Napi::Value CancelCompaction(const Napi::CallbackInfo& info) {
    cancel_compaction_ = true;
    return info.Env().Undefined();
  }

  // adoptCompacted(): switches to the graph a finished compaction built; false when there is none.
  // Only while nothing else runs on the graph (an insert batch holds a pointer to the old one).
  Napi::Value AdoptCompacted(const Napi::CallbackInfo& info) {
    RequireIdle(info.Env(), "adoptCompacted");
    if (!compacted_) return Napi::Boolean::New(info.Env(), false);
    compacted_->setEf(graph_->ef_);
    graph_ = std::move(compacted_);
    return Napi::Boolean::New(info.Env(), true);
  }

  Napi::Value Resize(const Napi::CallbackInfo& info) {
    RequireGraph(info.Env());
    RequireIdle(info.Env(), "resize");
    try {
      graph_->resizeIndex(info[0].As<Napi::Number>().Int64Value());
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  Napi::Value SetEf(const Napi::CallbackInfo& info) {
    RequireGraph(info.Env());
    graph_->setEf(info[0].As<Napi::Number>().Int64Value());
    return info.Env().Undefined();
  }

  // markDeleted(label): false when the label is not in the graph or already deleted.
  Napi::Value MarkDeleted(const Napi::CallbackInfo& info) {
    RequireGraph(info.Env());
    labeltype label = static_cast<labeltype>(info[0].As<Napi::Number>().DoubleValue());
    ReadTurn turn(turns_);  // marks a flag that inserts read
    {
      std::unique_lock<std::mutex> lock(graph_->label_lookup_lock);
      auto it = graph_->label_lookup_.find(label);
      if (it == graph_->label_lookup_.end() || graph_->isMarkedDeleted(it->second)) return Napi::Boolean::New(info.Env(), false);
    }
    try {
      graph_->markDelete(label);
      return Napi::Boolean::New(info.Env(), true);
    } catch (const std::exception&) {
      return Napi::Boolean::New(info.Env(), false);
    }
  }

  // search(query, k, allowed | null) → { labels, distances }, nearest first.
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireGraph(env);
    auto q = PrepareQuery(info[0].As<Napi::Float32Array>(), space_);
    size_t k = info[1].As<Napi::Number>().Int64Value();
    std::unique_ptr<SortedAllowList> filter;
    if (info.Length() > 2 && info[2].IsTypedArray()) {
      auto allowed = info[2].As<Napi::Float64Array>();
      filter = std::make_unique<SortedAllowList>(allowed.Data(), allowed.ElementLength());
    }
    std::vector<std::pair<float, double>> hits;
    try {
      SearchTurn turn(turns_);
      if (turn.alone()) {
        auto found = graph_->searchKnn(q.data(), k, filter.get());
        hits.resize(found.size());
        for (size_t i = found.size(); i > 0; i--) {
          hits[i - 1] = {found.top().first, static_cast<double>(found.top().second)};
          found.pop();
        }
      } else {
        hits = ConcurrentSearch(graph_.get(), q.data(), k, std::max(graph_->ef_, k), filter.get());
        searches_beside_inserts_++;
      }
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
    return ToResult(env, hits);
  }

  // distances(query, labels, k): the exact k nearest of the given labels that are live in the graph.
  Napi::Value Distances(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireGraph(env);
    auto q = PrepareQuery(info[0].As<Napi::Float32Array>(), space_);
    auto labels = info[1].As<Napi::Float64Array>();
    size_t k = info[2].As<Napi::Number>().Int64Value();
    auto* g = graph_.get();
    auto dist = g->fstdistfunc_;
    void* param = g->dist_func_param_;
    TopK top(k);
    ReadTurn turn(turns_);  // an insert may be rewriting a vector
    std::unique_lock<std::mutex> lock(g->label_lookup_lock);
    for (size_t i = 0; i < labels.ElementLength(); i++) {
      auto it = g->label_lookup_.find(static_cast<labeltype>(labels[i]));
      if (it == g->label_lookup_.end() || g->isMarkedDeleted(it->second)) continue;
      top.Push(dist(q.data(), g->getDataByInternalId(it->second), param), labels[i]);
    }
    lock.unlock();
    return ToResult(env, top.Sorted());
  }

  // vector(label): the stored vector (unit length in the cosine space), or undefined.
  Napi::Value Vector(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireGraph(env);
    auto* g = graph_.get();
    labeltype label = static_cast<labeltype>(info[0].As<Napi::Number>().DoubleValue());
    ReadTurn turn(turns_);
    std::unique_lock<std::mutex> lock(g->label_lookup_lock);
    auto it = g->label_lookup_.find(label);
    if (it == g->label_lookup_.end() || g->isMarkedDeleted(it->second)) return env.Undefined();
    auto out = Napi::Float32Array::New(env, dim_);
    std::memcpy(out.Data(), g->getDataByInternalId(it->second), dim_ * sizeof(float));
    return out;
  }

  // labels() → { live, deleted }: every label in the graph, by state.
  Napi::Value Labels(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireGraph(env);
    auto* g = graph_.get();
    std::vector<double> live, deleted;
    {
      std::unique_lock<std::mutex> lock(g->label_lookup_lock);
      for (const auto& [label, internal] : g->label_lookup_) {
        (g->isMarkedDeleted(internal) ? deleted : live).push_back(static_cast<double>(label));
      }
    }
    auto out = Napi::Object::New(env);
    auto liveArray = Napi::Float64Array::New(env, live.size());
    std::copy(live.begin(), live.end(), liveArray.Data());
    auto deletedArray = Napi::Float64Array::New(env, deleted.size());
    std::copy(deleted.begin(), deleted.end(), deletedArray.Data());
    out.Set("live", liveArray);
    out.Set("deleted", deletedArray);
    return out;
  }

  Napi::Value Capacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), graph_ ? static_cast<double>(graph_->max_elements_) : 0);
  }
  Napi::Value Size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), graph_ ? static_cast<double>(graph_->cur_element_count.load()) : 0);
  }
  Napi::Value Busy(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), busy_.load() != 0); }
  Napi::Value SearchesBesideInserts(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), searches_beside_inserts_); }

  Space space_;
  size_t dim_;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_impl_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
};

// Background work on one index: keeps the JS object alive and the index marked busy until it ends.
class IndexWorker : public Napi::AsyncWorker {
 public:
  IndexWorker(Napi::Env env, VectorIndex* index, Napi::Object self)
      : Napi::AsyncWorker(env), index_(index), deferred_(Napi::Promise::Deferred::New(env)) {
    self_ = Napi::Persistent(self);
    index_->busy_++;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void OnOK() override {
    index_->busy_--;
    Finish();
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    index_->busy_--;
    deferred_.Reject(e.Value());
  }
  virtual void Finish() {}
  VectorIndex* index_;

 private:
  Napi::ObjectReference self_;
  Napi::Promise::Deferred deferred_;
};

// Lowers the calling thread's scheduling priority (nice `level`, 0 = unchanged): insert threads then
// yield the CPU to the event loop's thread when both want it, so queries, commits and I/O keep their
// latency while an import indexes, and the indexer takes every cycle the process leaves idle. Each
// batch runs on threads of its own, so no libuv pool thread is left at the lower priority.
void LowerThreadPriority(int level) {
  if (level <= 0) return;
#if defined(__linux__)
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), level);
#elif defined(_WIN32)
  SetThreadPriority(GetCurrentThread(), level >= 10 ? THREAD_PRIORITY_LOWEST : THREAD_PRIORITY_BELOW_NORMAL);
#endif
}

// Runs body(i) for i in [0, n) on up to `threads` threads of its own (at least 8 items each), at nice
// `nice`. The first exception stops every thread and is returned; `stop` ends the work early too.
std::string ParallelFor(size_t n, size_t threads, int nice, const std::function<void(size_t)>& body,
                        const std::atomic<bool>* stop = nullptr) {
  std::atomic<size_t> next{0};
  std::mutex error_lock;
  std::string error;
  auto work = [&]() {
    LowerThreadPriority(nice);
    for (size_t i = next++; i < n; i = next++) {
      if (stop && stop->load()) return;
      try {
        body(i);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> guard(error_lock);
        if (error.empty()) error = e.what();
        next = n;  // stop every thread
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < std::min(std::max<size_t>(1, threads), std::max<size_t>(1, n / 8)); t++) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  return error;
}

// As ParallelFor, but into `g`: when it is empty, item 0 goes in first, alone. hnswlib's addPoint
// makes the first point to reach the graph's lock the entry point, but records element 0 as it: a
// point that got element 1 and took the lock first would leave the entry point's vector unwritten
// and itself linked to nothing.
std::string ParallelInsert(Graph* g, size_t n, size_t threads, int nice, const std::function<void(size_t)>& body,
                           const std::atomic<bool>* stop = nullptr) {
  size_t first = 0;
  if (n > 0 && g->cur_element_count.load() == 0) {
    try {
      body(0);
    } catch (const std::exception& e) {
      return e.what();
    }
    first = 1;
  }
  return ParallelFor(n - first, threads, nice, [&](size_t i) { body(i + first); }, stop);
}

class AddWorker : public IndexWorker {
 public:
  AddWorker(Napi::Env env, VectorIndex* index, Napi::Object self, const Napi::Float64Array& labels,
            const Napi::Float32Array& vectors, size_t threads, bool normalized, int nice)
      : IndexWorker(env, index, self),
        labels_(labels.Data(), labels.Data() + labels.ElementLength()),
        vectors_(vectors.Data(), vectors.Data() + vectors.ElementLength()),
        threads_(std::max<size_t>(1, threads)),
        normalized_(normalized),
        nice_(nice) {}

 protected:
  void Execute() override {
    auto* g = index_->graph();
    const size_t dim = index_->dim();
    const size_t n = labels_.size();
    const bool normalize = index_->space() == Space::Cosine && !normalized_;
    std::string error = ParallelInsert(g, n, threads_, nice_, [&](size_t i) {
      float* v = vectors_.data() + i * dim;
      if (normalize) Normalize(v, dim);
      index_->turns_.BeginInsert();
      try {
        const labeltype label = static_cast<labeltype>(labels_[i]);
        {
          // A new element for a label already in the graph: the old one is retired, so the label
          // maps to the new one (a loaded graph maps a label to its last element too).
          std::unique_lock<std::mutex> lock(g->label_lookup_lock);
          auto it = g->label_lookup_.find(label);
          if (it != g->label_lookup_.end()) {
            if (!g->isMarkedDeleted(it->second)) g->markDeletedInternal(it->second);
            g->label_lookup_.erase(it);
          }
        }
        g->addPoint(v, label);
      } catch (...) {
        index_->turns_.EndInsert();
        throw;
      }
      index_->turns_.EndInsert();
    });
    if (!error.empty()) SetError(error);
  }

 private:
  std::vector<double> labels_;
  std::vector<float> vectors_;
  size_t threads_;
  bool normalized_;
  int nice_;
};

class SaveWorker : public IndexWorker {
 public:
  SaveWorker(Napi::Env env, VectorIndex* index, Napi::Object self, std::string path)
      : IndexWorker(env, index, self), path_(std::move(path)) {}

 protected:
  void Execute() override {
    try {
      index_->graph()->saveIndex(path_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }

 private:
  std::string path_;
};

class LoadWorker : public IndexWorker {
 public:
  LoadWorker(Napi::Env env, VectorIndex* index, Napi::Object self, std::string path, size_t capacity)
      : IndexWorker(env, index, self), path_(std::move(path)), capacity_(capacity) {}

 protected:
  void Execute() override {
    try {
      index_->loaded_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(index_->space_impl(), path_, false, capacity_);
      if (index_->loaded_->data_size_ != index_->dim() * sizeof(float)) {
        index_->loaded_.reset();
        SetError("the index file holds vectors of another dimension");
      }
    } catch (const std::exception& e) {
      index_->loaded_.reset();
      SetError(e.what());
    }
  }
  void Finish() override { index_->Adopt(); }

 private:
  std::string path_;
  size_t capacity_;
};

Napi::Value VectorIndex::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireGraph(env);
  auto labels = info[0].As<Napi::Float64Array>();
  auto vectors = info[1].As<Napi::Float32Array>();
  size_t threads = info.Length() > 2 ? info[2].As<Napi::Number>().Int64Value() : 1;
  bool normalized = info.Length() > 3 && info[3].ToBoolean().Value();
  int nice = info.Length() > 4 ? static_cast<int>(info[4].As<Napi::Number>().Int32Value()) : 0;
  if (vectors.ElementLength() != labels.ElementLength() * dim_) {
    throw Napi::RangeError::New(env, "add: vectors must hold dimension x labels floats");
  }
  // Every vector takes a new element, a label already in the graph too.
  if (graph_->cur_element_count.load() + labels.ElementLength() > graph_->max_elements_) {
    throw Napi::RangeError::New(env, "add: the batch does not fit the capacity (resize first)");
  }
  auto* worker = new AddWorker(env, this, info.This().As<Napi::Object>(), labels, vectors, threads, normalized, nice);
  worker->Queue();
  return worker->Promise();
}

// Builds a new graph of the live elements (retired and deleted ones left out) on background threads,
// for adoptCompacted. The old graph keeps serving meanwhile, inserts into it included: the elements
// copied are those that existed when the compaction began, whose vectors never change (a new vector
// gets a new element), so reading them beside the inserts is safe. The caller re-applies the changes
// made meanwhile to the new graph.
class CompactWorker : public IndexWorker {
 public:
  // The elements to copy are listed here, on the main thread with no insert in flight: an element
  // being inserted is counted before its label and vector are written.
  CompactWorker(Napi::Env env, VectorIndex* index, Napi::Object self, size_t capacity, size_t threads, int nice)
      : IndexWorker(env, index, self), capacity_(capacity), threads_(std::max<size_t>(1, threads)), nice_(nice) {
    index_->cancel_compaction_ = false;
    auto* old = index_->graph();
    const size_t n = old->cur_element_count.load();
    for (size_t i = 0; i < n; i++) {
      if (!old->isMarkedDeleted(static_cast<hnswlib::tableint>(i))) live_.push_back(static_cast<hnswlib::tableint>(i));
    }
  }

 protected:
  void Execute() override {
    auto* old = index_->graph();
    const auto& live = live_;
    std::unique_ptr<hnswlib::HierarchicalNSW<float>> fresh;
    try {
      fresh = std::make_unique<hnswlib::HierarchicalNSW<float>>(index_->space_impl(), std::max(capacity_, live.size()), old->M_,
                                                                old->ef_construction_, 100);
    } catch (const std::exception& e) {
      SetError(e.what());
      return;
    }
    // The old graph's vectors are already normalised for cosine.
    std::string error = ParallelInsert(
        fresh.get(), live.size(), threads_, nice_,
        [&](size_t i) { fresh->addPoint(old->getDataByInternalId(live[i]), old->getExternalLabel(live[i])); },
        &index_->cancel_compaction_);
    if (index_->cancel_compaction_) {
      SetError("compaction cancelled");
    } else if (!error.empty()) {
      SetError(error);
    } else {
      index_->compacted_ = std::move(fresh);
    }
  }

 private:
  size_t capacity_;
  size_t threads_;
  int nice_;
  std::vector<hnswlib::tableint> live_;
};

// compact(capacity, threads, nice) → Promise, resolved once the new graph is built (see adoptCompacted).
Napi::Value VectorIndex::Compact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireGraph(env);
  RequireIdle(env, "compact");  // and so no insert in flight
  size_t capacity = info[0].As<Napi::Number>().Int64Value();
  size_t threads = info[1].As<Napi::Number>().Int64Value();
  int nice = static_cast<int>(info[2].As<Napi::Number>().Int32Value());
  compacted_.reset();
  auto* worker = new CompactWorker(env, this, info.This().As<Napi::Object>(), capacity, threads, nice);
  worker->Queue();
  return worker->Promise();
}

Napi::Value VectorIndex::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireGraph(env);
  RequireIdle(env, "save");
  auto* worker = new SaveWorker(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::String>().Utf8Value());
  worker->Queue();
  return worker->Promise();
}

Napi::Value VectorIndex::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireIdle(env, "load");
  size_t capacity = info.Length() > 1 ? info[1].As<Napi::Number>().Int64Value() : 0;
  auto* worker = new LoadWorker(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::String>().Utf8Value(), capacity);
  worker->Queue();
  return worker->Promise();
}

// scanFlat(space, query, vectors, labels, k, allowed | null): exact k nearest of a flat buffer of
// vectors (row i = labels[i]; already normalised for cosine). For vectors not yet in the graph.
Napi::Value ScanFlat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Space space = ParseSpace(info[0].As<Napi::String>().Utf8Value());
  auto query = info[1].As<Napi::Float32Array>();
  auto vectors = info[2].As<Napi::Float32Array>();
  auto labels = info[3].As<Napi::Float64Array>();
  size_t k = info[4].As<Napi::Number>().Int64Value();
  const size_t dim = query.ElementLength();
  const size_t n = labels.ElementLength();
  if (dim == 0 || vectors.ElementLength() < n * dim) throw Napi::RangeError::New(env, "scanFlat: vectors too short");
  std::unique_ptr<SortedAllowList> filter;
  if (info.Length() > 5 && info[5].IsTypedArray()) {
    auto allowed = info[5].As<Napi::Float64Array>();
    filter = std::make_unique<SortedAllowList>(allowed.Data(), allowed.ElementLength());
  }
  auto impl = MakeSpace(space, dim);
  auto dist = impl->get_dist_func();
  void* param = impl->get_dist_func_param();
  auto q = PrepareQuery(query, space);
  TopK top(k);
  const float* data = vectors.Data();
  for (size_t i = 0; i < n; i++) {
    if (labels[i] < 0) continue;  // a hole left by a removed row
    if (filter && !(*filter)(static_cast<labeltype>(labels[i]))) continue;
    top.Push(dist(q.data(), data + i * dim, param), labels[i]);
  }
  return ToResult(env, top.Sorted());
}

// cpu(): what this build was made for and what the CPU offers, so the loader can pick the widest build.
Napi::Value Cpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
#if defined(__AVX512F__)
  out.Set("build", "avx512");
#elif defined(__AVX2__)
  out.Set("build", "avx2");
#else
  out.Set("build", "portable");
#endif
  bool avx2 = false;
  bool avx512 = false;
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  // libgcc checks the OS saves the AVX registers too (XGETBV), not only the CPUID bits.
  __builtin_cpu_init();
  avx2 = __builtin_cpu_supports("avx2");
  avx512 = __builtin_cpu_supports("avx512f");
#endif
  out.Set("avx2", avx2);
  out.Set("avx512", avx512);
  return out;
}

// normalize(vector): in place, as the cosine space stores vectors.
Napi::Value NormalizeInPlace(const Napi::CallbackInfo& info) {
  auto v = info[0].As<Napi::Float32Array>();
  Normalize(v.Data(), v.ElementLength());
  return info.Env().Undefined();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("VectorIndex", VectorIndex::Define(env));
  exports.Set("scanFlat", Napi::Function::New<ScanFlat>(env, "scanFlat"));
  exports.Set("normalize", Napi::Function::New<NormalizeInPlace>(env, "normalize"));
  exports.Set("cpu", Napi::Function::New<Cpu>(env, "cpu"));
  return exports;
}

}  // namespace

NODE_API_MODULE(chromalite_vector, InitModule)
