#include "service/kafka/admin.hpp"

#include <librdkafka/rdkafka.h>

#include <stdexcept>

#include "service/kafka/waker.hpp"

namespace warren::kafka {

namespace {
admin_error from_code(rd_kafka_resp_err_t err, const char* text) {
  admin_error e;
  e.code = static_cast<int>(err);
  if (!err) return e;
  e.message = text && *text ? text : rd_kafka_err2str(err);
  // Errors a later attempt may not hit: the coordinator moving or loading, the broker busy.
  e.retriable = err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
                err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE || err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
                err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
                err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED;
  e.throttled = err == RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED;
  return e;
}

admin_error from_error(const rd_kafka_error_t* err) {
  if (!err) return {};
  auto e = from_code(rd_kafka_error_code(err), rd_kafka_error_string(err));
  e.retriable = e.retriable || rd_kafka_error_is_retriable(err);
  return e;
}

std::string text_or_empty(const char* s) { return s ? s : ""; }

struct options_holder {
  rd_kafka_AdminOptions_t* o;
  ~options_holder() { rd_kafka_AdminOptions_destroy(o); }
};
}  // namespace

struct admin_client::impl {
  handle rk;
  queue results;
  std::unique_ptr<queue_waker> waker;
  std::uint64_t next_id = 1;
  std::size_t outstanding = 0;

  // Options with the request's id as the result's opaque, and its timeout.
  rd_kafka_AdminOptions_t* options(rd_kafka_admin_op_t op, std::uint64_t id, int timeout_ms) {
    rd_kafka_AdminOptions_t* o = rd_kafka_AdminOptions_new(rk.get(), op);
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof err);
    rd_kafka_AdminOptions_set_opaque(o, reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)));
    return o;
  }

  static std::uint64_t id_of(rd_kafka_event_t* ev) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(ev)));
  }

  static list_groups_result read_list(rd_kafka_event_t* ev) {
    list_groups_result out;
    out.id = id_of(ev);
    out.error = from_code(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
    const auto* res = rd_kafka_event_ListConsumerGroups_result(ev);
    if (!res) return out;
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    out.groups.reserve(n);
    for (size_t i = 0; i < n; ++i)
      out.groups.push_back({text_or_empty(rd_kafka_ConsumerGroupListing_group_id(valid[i])),
                            rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
                            rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
    size_t ne = 0;
    const rd_kafka_error_t** errs = rd_kafka_ListConsumerGroups_result_errors(res, &ne);
    for (size_t i = 0; i < ne; ++i) out.partial_errors.push_back(text_or_empty(rd_kafka_error_string(errs[i])));
    return out;
  }

  static describe_groups_result read_describe(rd_kafka_event_t* ev) {
    describe_groups_result out;
    out.id = id_of(ev);
    out.error = from_code(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
    const auto* res = rd_kafka_event_DescribeConsumerGroups_result(ev);
    if (!res) return out;
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t** groups = rd_kafka_DescribeConsumerGroups_result_groups(res, &n);
    out.groups.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const auto* g = groups[i];
      group_description d;
      d.group = text_or_empty(rd_kafka_ConsumerGroupDescription_group_id(g));
      d.error = from_error(rd_kafka_ConsumerGroupDescription_error(g));
      d.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
      d.partition_assignor = text_or_empty(rd_kafka_ConsumerGroupDescription_partition_assignor(g));
      d.simple = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0;
      const size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
      for (size_t m = 0; m < members; ++m) {
        const auto* md = rd_kafka_ConsumerGroupDescription_member(g, m);
        member_description mem;
        mem.consumer_id = text_or_empty(rd_kafka_MemberDescription_consumer_id(md));
        mem.client_id = text_or_empty(rd_kafka_MemberDescription_client_id(md));
        mem.host = text_or_empty(rd_kafka_MemberDescription_host(md));
        mem.group_instance_id = text_or_empty(rd_kafka_MemberDescription_group_instance_id(md));
        const auto* a = rd_kafka_MemberDescription_assignment(md);
        const auto* parts = a ? rd_kafka_MemberAssignment_partitions(a) : nullptr;
        if (parts)
          for (int p = 0; p < parts->cnt; ++p) {
            const auto& tp = parts->elems[p];
            if (mem.assignment.empty() || mem.assignment.back().first != tp.topic)
              mem.assignment.emplace_back(tp.topic, std::vector<std::int32_t>{});
            mem.assignment.back().second.push_back(tp.partition);
          }
        d.members.push_back(std::move(mem));
      }
      out.groups.push_back(std::move(d));
    }
    return out;
  }

  static group_offsets_result read_offsets(rd_kafka_event_t* ev) {
    group_offsets_result out;
    out.id = id_of(ev);
    out.error = from_code(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
    const auto* res = rd_kafka_event_ListConsumerGroupOffsets_result(ev);
    if (!res) return out;
    size_t n = 0;
    const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(res, &n);
    for (size_t i = 0; i < n; ++i) {
      out.group = text_or_empty(rd_kafka_group_result_name(groups[i]));
      if (!out.error) out.error = from_error(rd_kafka_group_result_error(groups[i]));
      const auto* parts = rd_kafka_group_result_partitions(groups[i]);
      if (!parts) continue;
      out.offsets.reserve(static_cast<std::size_t>(parts->cnt));
      for (int p = 0; p < parts->cnt; ++p) {
        const auto& tp = parts->elems[p];
        out.offsets.push_back({tp.topic, tp.partition, tp.offset, from_code(tp.err, nullptr)});
      }
    }
    return out;
  }
};

admin_client::admin_client(asio::any_io_executor ex, const client_settings& settings) : impl_(std::make_unique<impl>()) {
  std::string error;
  auto made = make_client(client_kind::producer, settings, {}, error);
  if (!made) throw std::runtime_error("admin client: " + error);
  impl_->rk = std::move(*made);
  impl_->results.reset(rd_kafka_queue_new(impl_->rk.get()));
  impl_->waker = std::make_unique<queue_waker>(ex, impl_->results.get());
}

admin_client::~admin_client() {
  if (impl_ && impl_->rk) {
    stop_waking();
    close();
  }
}

std::uint64_t admin_client::list_groups(int timeout_ms) {
  const auto id = impl_->next_id++;
  options_holder o{impl_->options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, id, timeout_ms)};
  rd_kafka_ListConsumerGroups(impl_->rk.get(), o.o, impl_->results.get());
  ++impl_->outstanding;
  return id;
}

std::uint64_t admin_client::describe_groups(const std::vector<std::string>& groups, int timeout_ms) {
  const auto id = impl_->next_id++;
  std::vector<const char*> names;
  names.reserve(groups.size());
  for (const auto& g : groups) names.push_back(g.c_str());
  options_holder o{impl_->options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, id, timeout_ms)};
  rd_kafka_DescribeConsumerGroups(impl_->rk.get(), names.data(), names.size(), o.o, impl_->results.get());
  ++impl_->outstanding;
  return id;
}

std::uint64_t admin_client::list_offsets(const std::string& group, int timeout_ms) {
  const auto id = impl_->next_id++;
  rd_kafka_ListConsumerGroupOffsets_t* req = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), nullptr);
  options_holder o{impl_->options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, id, timeout_ms)};
  rd_kafka_ListConsumerGroupOffsets(impl_->rk.get(), &req, 1, o.o, impl_->results.get());
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  ++impl_->outstanding;
  return id;
}

std::vector<admin_result> admin_client::drain() {
  std::vector<admin_result> out;
  while (rd_kafka_event_t* ev = rd_kafka_queue_poll(impl_->results.get(), 0)) {
    switch (rd_kafka_event_type(ev)) {
      case RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT: out.emplace_back(impl::read_list(ev)); break;
      case RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT: out.emplace_back(impl::read_describe(ev)); break;
      case RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT: out.emplace_back(impl::read_offsets(ev)); break;
      default: break;  // nothing else is sent to this queue
    }
    if (impl_->outstanding > 0) --impl_->outstanding;
    rd_kafka_event_destroy(ev);
  }
  return out;
}

task<boost::system::error_code> admin_client::wait() { return impl_->waker->wait(); }
void admin_client::cancel() {
  if (impl_->waker) impl_->waker->cancel();
}
std::size_t admin_client::outstanding() const { return impl_->outstanding; }

void admin_client::stop_waking() { impl_->waker.reset(); }

void admin_client::close() {
  impl_->results.reset();
  impl_->rk.reset();
}

}  // namespace warren::kafka
