-- understudy traffic mirror for HAProxy 2.6 (which has no mirror directive).
--
-- The action copies a share of live requests to the shadow backend. The copy is handed to a task
-- (core.register_task) and sent with core.httpclient(), so the live request never waits for it: a
-- slow or dead shadow costs the live path nothing. Copies in flight are capped; the excess is dropped
-- and counted, so a slow shadow cannot make HAProxy's memory grow without bound.
--
-- Knobs come from transaction variables the frontend sets from the routing map (changed at run time
-- with `set map`, no reload): txn.mirror_pct, txn.mirror_cap (body bytes), txn.mirror_max; and
-- txn.shadows_usable, HAProxy's count of usable shadows.

local counts = { sent = 0, failed = 0, dropped_inflight = 0, dropped_body = 0, dropped_method = 0, no_shadow = 0 }
local inflight = 0
local rr = 0

local senders = { GET = "get", HEAD = "head", PUT = "put", POST = "post", DELETE = "delete" }
-- Hop-by-hop and framing headers belong to the original connection, not to the copy.
local skip = { connection = true, ["content-length"] = true, ["transfer-encoding"] = true, ["keep-alive"] = true, ["x-understudy-mirror"] = true }

-- Which shadows are up, per backend, re-read at most every REFRESH_MS: get_stats() builds a table of
-- every counter of a server, too costly to call on each mirrored request. A shadow that goes down
-- is noticed within one refresh (its copies meanwhile are counted as failed). "None up" is not
-- kept: a shadow that comes up gets copies from the next request on.
local REFRESH_MS = 250
local targets_cache = {}

local function now_ms()
  local t = core.now()
  return t.sec * 1000 + math.floor(t.usec / 1000)
end

local function up_servers(backend)
  local now = now_ms()
  local cached = targets_cache[backend]
  if cached ~= nil and now - cached.at < REFRESH_MS then return cached.list end
  local be = core.backends[backend]
  local out = {}
  if be ~= nil then
    for _, srv in pairs(be.servers) do
      local st = srv:get_stats()
      if st ~= nil and string.sub(st.status or "", 1, 2) == "UP" then
        table.insert(out, srv:get_addr())
      end
    end
    table.sort(out)
  end
  targets_cache[backend] = #out > 0 and { at = now, list = out } or nil
  return out
end

local function copy_headers(txn)
  local out = {}
  for name, values in pairs(txn.http:req_get_headers()) do
    if not skip[name] then
      local list = {}
      for i = 0, #values do
        if values[i] ~= nil then table.insert(list, values[i]) end
      end
      out[name] = list
    end
  end
  out["x-understudy-mirror"] = { "1" }
  return out
end

core.register_action("mirror", { "http-req" }, function(txn, backend)
  local pct = tonumber(txn:get_var("txn.mirror_pct")) or 0
  if pct <= 0 or math.random(100) > pct then return end
  local sender = senders[txn.sf:method()]
  if sender == nil then counts.dropped_method = counts.dropped_method + 1 return end
  local body = txn.f:req_body() or ""
  if #body > (tonumber(txn:get_var("txn.mirror_cap")) or 0) then counts.dropped_body = counts.dropped_body + 1 return end
  if inflight >= (tonumber(txn:get_var("txn.mirror_max")) or 64) then counts.dropped_inflight = counts.dropped_inflight + 1 return end
  -- HAProxy's own count first (txn.shadows_usable, nbsrv): no shadow up costs no scan of servers.
  local usable = tonumber(txn:get_var("txn.shadows_usable")) or 0
  local targets = usable > 0 and up_servers(backend) or {}
  if #targets == 0 then counts.no_shadow = counts.no_shadow + 1 return end
  rr = rr % #targets + 1
  local url = "http://" .. targets[rr] .. txn.sf:pathq()
  local headers = copy_headers(txn)
  inflight = inflight + 1
  core.register_task(function()
    local ok, res = pcall(function()
      local hc = core.httpclient()
      return hc[sender](hc, { url = url, headers = headers, body = body, timeout = 5000 })
    end)
    inflight = inflight - 1
    -- The shadow's answer is discarded; only whether it answered at all is counted.
    if ok and res ~= nil and res.status ~= nil and res.status > 0 then
      counts.sent = counts.sent + 1
    else
      counts.failed = counts.failed + 1
    end
  end)
end, 1)

core.register_service("mirror_metrics", "http", function(applet)
  local lines = {
    "# HELP understudy_mirror_requests_total Mirrored copies of live requests by outcome.",
    "# TYPE understudy_mirror_requests_total counter",
  }
  for _, k in ipairs({ "sent", "failed", "dropped_inflight", "dropped_body", "dropped_method", "no_shadow" }) do
    table.insert(lines, string.format('understudy_mirror_requests_total{outcome="%s"} %d', k, counts[k]))
  end
  table.insert(lines, "# HELP understudy_mirror_inflight Mirrored copies being sent now.")
  table.insert(lines, "# TYPE understudy_mirror_inflight gauge")
  table.insert(lines, string.format("understudy_mirror_inflight %d", inflight))
  local body = table.concat(lines, "\n") .. "\n"
  applet:set_status(200)
  applet:add_header("content-type", "text/plain; version=0.0.4")
  applet:add_header("content-length", string.len(body))
  applet:start_response()
  applet:send(body)
end)
