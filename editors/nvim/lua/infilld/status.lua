-- The server's state, from didChangeStatus and $/progress, for the statusline.

local M = {}

M.current = {
  state = "stopped", -- stopped | starting | loading | ready | busy | error
  kind = nil,        -- didChangeStatus kind: Normal | Error | Inactive
  message = nil,
  percentage = nil,  -- model loading progress, from $/progress
  progress_title = nil,
}

local function changed()
  pcall(vim.cmd, "redrawstatus")
  pcall(vim.cmd, "doautocmd <nomodeline> User InfilldStatus")
end

function M.set(state, message)
  M.current.state = state
  M.current.message = message
  if state ~= "loading" then M.current.percentage = nil end
  changed()
end

--- didChangeStatus {kind, busy, message, state}
function M.on_did_change_status(params)
  if type(params) ~= "table" then return end
  local c = M.current
  local state = params.state
  if state ~= "loading" and state ~= "ready" and state ~= "busy" and state ~= "error" then
    -- older servers: derive it from kind and busy
    if params.kind == "Error" then state = "error"
    elseif params.busy then state = "busy"
    else state = "ready" end
  end
  c.state = state
  c.kind = params.kind
  c.message = (type(params.message) == "string" and params.message ~= "") and params.message or nil
  if state ~= "loading" then c.percentage = nil end
  changed()
end

--- $/progress {token, value = {kind = begin|report|end, title, message, percentage}}
function M.on_progress(params)
  if type(params) ~= "table" or type(params.value) ~= "table" then return end
  if params.token ~= "infilld/load" then return end
  local v, c = params.value, M.current
  if v.kind == "begin" or v.kind == "report" then
    if c.state ~= "error" then c.state = "loading" end
    if v.title then c.progress_title = v.title end
    if type(v.percentage) == "number" then c.percentage = v.percentage end
    if type(v.message) == "string" and v.message ~= "" then c.message = v.message end
  elseif v.kind == "end" then
    c.percentage = nil -- the state comes with didChangeStatus (ready, or error)
  end
  changed()
end

--- A short text for the statusline: "infilld: loading 42%", "infilld: ready", ...
--- opts.prefix (default "infilld: "), opts.stopped (text when no server runs, default "").
function M.statusline(opts)
  opts = opts or {}
  local c = M.current
  local prefix = opts.prefix or "infilld: "
  if c.state == "stopped" then return opts.stopped or "" end
  if c.state == "loading" then
    if c.percentage then return string.format("%sloading %d%%", prefix, c.percentage) end
    return prefix .. "loading"
  end
  if c.state == "error" then return prefix .. "error" end
  return prefix .. c.state
end

--- A one-line description with the message, for :InfilldStatus.
function M.describe()
  local c = M.current
  local s = M.statusline({ prefix = "", stopped = "stopped" })
  if c.message then s = s .. " (" .. c.message .. ")" end
  return s
end

return M
