-- wrk script of `make bench` (tests/bench/load.py writes `cfg` above this text): each request
-- a GET with fixed headers, or a sale report with a unique receipt number and Idempotency-Key,
-- its store and products chosen round-robin from the configured ones.
local counter = 0
local n_threads = 0
local threads = {}
first_error = ""
unexpected = 0

function setup(thread)
  n_threads = n_threads + 1
  thread:set("tid", n_threads)
  threads[n_threads] = thread
end

-- The first refused answer, to say in the report why a scenario had errors.
-- An answer is expected when its status is cfg.expect (a 404 scenario), else when it is 2xx.
response = function(status, headers, body)
  local ok
  if cfg.expect then ok = status == cfg.expect else ok = status >= 200 and status < 300 end
  if not ok then
    unexpected = unexpected + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

local function sale()
  local store = cfg.stores[(counter % #cfg.stores) + 1]
  local lines = {}
  for i = 1, cfg.lines do
    local sku = cfg.skus[((counter * 7 + i * 3) % #cfg.skus) + 1]
    lines[i] = string.format(
      '{"sku":"%s","quantity":%d,"unit_price_fen":%d}', sku, 1 + (counter + i) % 3, cfg.price)
  end
  local receipt = string.format("%s-%d-%d", cfg.tag, tid, counter)
  local body = string.format(
    '{"receipt_number":"%s","sold_at":"%s","lines":[%s]}',
    receipt, cfg.sold_at, table.concat(lines, ","))
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "k-" .. receipt,
  }
  headers[store[1]] = store[2]
  return wrk.format("POST", cfg.path, headers, body)
end

request = function()
  counter = counter + 1
  if cfg.kind == "sale" then
    return sale()
  end
  return wrk.format(cfg.method, cfg.path, cfg.headers)
end

done = function(summary, latency, requests)
  local refused = 0
  for _, thread in ipairs(threads) do
    refused = refused + (thread:get("unexpected") or 0)
    local err = thread:get("first_error")
    if err ~= nil and err ~= "" then
      io.write("FIRST_ERROR " .. string.gsub(err, "\n", " ") .. "\n")
    end
  end
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"unexpected":%d,' ..
    '"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    refused,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
