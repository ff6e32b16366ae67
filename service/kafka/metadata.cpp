#include "service/kafka/metadata.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace warren::kafka {

metadata_result fetch_metadata(rd_kafka_s* rk, const std::string& topic, int timeout_ms) {
  metadata_result out;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = topic.empty() ? nullptr : rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, rkt ? 0 : 1, rkt, &md, timeout_ms);
  if (rkt) rd_kafka_topic_destroy(rkt);
  if (err) {
    out.error = rd_kafka_err2str(err);
    return out;
  }
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || (t.err && t.partition_cnt == 0)) {
      out.topic_errors.emplace(t.topic, rd_kafka_err2name(t.err));
      continue;
    }
    topic_info info;
    info.partition_count = t.partition_cnt;
    for (int p = 0; p < t.partition_cnt; ++p)
      if (t.partitions[p].leader >= 0) info.with_leader.push_back(t.partitions[p].id);
    out.topics.emplace(t.topic, std::move(info));
  }
  rd_kafka_metadata_destroy(md);
  out.ok = true;
  return out;
}

end_offsets_result list_offsets(rd_kafka_s* rk, const std::map<std::string, std::vector<std::int32_t>>& partitions,
                                std::int64_t which, int timeout_ms) {
  end_offsets_result out;
  int count = 0;
  for (const auto& [t, ps] : partitions) count += static_cast<int>(ps.size());
  if (count == 0) {
    out.ok = true;
    return out;
  }
  partition_list list(rd_kafka_topic_partition_list_new(count));
  for (const auto& [t, ps] : partitions)
    for (auto p : ps) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), p)->offset = which;
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list.get(), timeout_ms);
  if (err) out.error = rd_kafka_err2str(err);
  for (const auto& [t, ps] : partitions) {
    std::int32_t max_p = 0;
    for (auto p : ps) max_p = std::max(max_p, p + 1);
    out.offsets[t].assign(static_cast<std::size_t>(max_p), -1);
  }
  // On a request-level error librdkafka still fills in the partitions whose broker answered
  // (per-partition err = 0): keep those.
  std::size_t answered = 0;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err || e.offset < 0) {
      ++out.failed_partitions;
      if (out.error.empty() && e.err) out.error = rd_kafka_err2str(e.err);
      continue;
    }
    auto& v = out.offsets[e.topic];
    if (e.partition >= 0 && static_cast<std::size_t>(e.partition) < v.size()) {
      v[static_cast<std::size_t>(e.partition)] = e.offset;
      ++answered;
    }
  }
  out.ok = answered > 0;
  return out;
}

topic_configs_result describe_topic_retention(rd_kafka_s* rk, const std::vector<std::string>& topics, int timeout_ms) {
  topic_configs_result out;
  out.ok = true;
  constexpr std::size_t chunk = 500;
  for (std::size_t begin = 0; begin < topics.size(); begin += chunk) {
    const std::size_t end = std::min(topics.size(), begin + chunk);
    std::vector<rd_kafka_ConfigResource_t*> resources;
    resources.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i)
      resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i].c_str()));
    queue q(rd_kafka_queue_new(rk));
    rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof err);
    rd_kafka_DescribeConfigs(rk, resources.data(), resources.size(), opts, q.get());
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q.get(), timeout_ms + 1000);
    if (!ev) {
      out.ok = false;
      out.error = "DescribeConfigs timed out";
      return out;
    }
    if (rd_kafka_event_error(ev)) {
      out.ok = false;
      out.error = rd_kafka_event_error_string(ev);
      rd_kafka_event_destroy(ev);
      return out;
    }
    const rd_kafka_DescribeConfigs_result_t* res = rd_kafka_event_DescribeConfigs_result(ev);
    std::size_t n = 0;
    const rd_kafka_ConfigResource_t** rs = rd_kafka_DescribeConfigs_result_resources(res, &n);
    for (std::size_t i = 0; i < n; ++i) {
      if (rd_kafka_ConfigResource_error(rs[i])) {
        if (out.error.empty()) out.error = rd_kafka_ConfigResource_error_string(rs[i]);
        continue;
      }
      std::size_t k = 0;
      const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[i], &k);
      for (std::size_t j = 0; j < k; ++j) {
        if (std::string_view(rd_kafka_ConfigEntry_name(entries[j])) != "retention.ms") continue;
        const char* v = rd_kafka_ConfigEntry_value(entries[j]);
        if (!v) break;
        char* endp = nullptr;
        const long long ms = std::strtoll(v, &endp, 10);
        if (endp != v) out.retention_ms[rd_kafka_ConfigResource_name(rs[i])] = ms < 0 ? -1 : ms;
        break;
      }
    }
    rd_kafka_event_destroy(ev);
  }
  return out;
}

groups_result list_groups(rd_kafka_s* rk, int timeout_ms) {
  groups_result out;
  queue q(rd_kafka_queue_new(rk));
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_ListConsumerGroups(rk, opts, q.get());
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q.get(), timeout_ms + 1000);
  if (!ev) {
    out.error = "ListConsumerGroups timed out";
    return out;
  }
  if (rd_kafka_event_error(ev)) {
    out.error = rd_kafka_event_error_string(ev);
    rd_kafka_event_destroy(ev);
    return out;
  }
  const rd_kafka_ListConsumerGroups_result_t* res = rd_kafka_event_ListConsumerGroups_result(ev);
  size_t n = 0, nerr = 0;
  const rd_kafka_ConsumerGroupListing_t** listings = rd_kafka_ListConsumerGroups_result_valid(res, &n);
  rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
  if (nerr > 0) {
    // A broker did not answer: the list is partial, so the reaper must not act on it.
    out.error = "ListConsumerGroups: " + std::to_string(nerr) + " broker(s) failed";
    rd_kafka_event_destroy(ev);
    return out;
  }
  for (size_t i = 0; i < n; ++i) out.groups.emplace_back(rd_kafka_ConsumerGroupListing_group_id(listings[i]));
  rd_kafka_event_destroy(ev);
  out.ok = true;
  return out;
}

std::string create_topic(rd_kafka_s* rk, const std::string& topic, int partitions,
                         const std::map<std::string, std::string>& configs, int timeout_ms) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, err, sizeof err);
  if (!nt) return err;
  for (const auto& [k, v] : configs)
    if (rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str())) {
      rd_kafka_NewTopic_destroy(nt);
      return "config " + k + " refused";
    }
  queue q(rd_kafka_queue_new(rk));
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, err, sizeof err);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, q.get());
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q.get(), timeout_ms + 1000);
  if (!ev) return "CreateTopics timed out";
  std::string out;
  if (rd_kafka_event_error(ev)) {
    out = rd_kafka_event_error_string(ev);
  } else if (const auto* res = rd_kafka_event_CreateTopics_result(ev)) {
    std::size_t n = 0;
    const rd_kafka_topic_result_t** ts = rd_kafka_CreateTopics_result_topics(res, &n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto code = rd_kafka_topic_result_error(ts[i]);
      if (code == RD_KAFKA_RESP_ERR_NO_ERROR || code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
      const char* why = rd_kafka_topic_result_error_string(ts[i]);
      out = std::string(rd_kafka_err2name(code)) + (why ? std::string(": ") + why : std::string());
    }
  }
  rd_kafka_event_destroy(ev);
  return out;
}

}  // namespace warren::kafka
