#include "completion/backend.h"

#include <future>

#include "context/postprocess.h"

namespace infilld::completion {

Expected<FillResult> CompletionBackend::fill(FillRequest request) {
  std::promise<Expected<FillResult>> result;
  auto future = result.get_future();
  submit(std::move(request), {}, [&result](Expected<FillResult> r) { result.set_value(std::move(r)); });
  return future.get();
}

engine::DecodeOptions request_options(const Settings& settings, const engine::DecodeOptions& defaults,
                                      std::chrono::steady_clock::time_point start) {
  engine::DecodeOptions o = decode_options(settings, defaults);
  if (settings.max_tokens > 0) o.max_tokens = settings.max_tokens;
  if (settings.deadline_ms > 0) o.deadline = start + std::chrono::milliseconds(settings.deadline_ms);
  return o;
}

Expected<FillRequest> fill_request(Plan plan, engine::DecodeOptions options) {
  options.max_tokens = plan.max_tokens;
  INFILLD_TRY(engine::validate(options));
  FillRequest request{.prefix = std::move(plan.prompt.prefix),
                      .suffix = std::move(plan.prompt.suffix),
                      .prefix_ids = std::move(plan.prefix_ids),
                      .suffix_ids = std::move(plan.suffix_ids),
                      .options = std::move(options),
                      .settled = {}};
  // The shape's cut reads the document's lines before the cursor (their indentation).
  request.settled = [prefix = std::move(plan.cursor_lines), shape = plan.shape.kind](std::string_view middle) {
    return context::settled({.middle = printable_prefix(middle), .prefix = prefix, .suffix = {}, .shape = shape});
  };
  return request;
}

}  // namespace infilld::completion
