-- infilld for Neovim: inline code completion from `infilld lsp`.
--
--   require("infilld").setup({ model = "/path/to/model" })
--
-- Neovim 0.7-0.11: this plugin requests, draws (extmarks) and accepts the suggestions
-- (lua/infilld/completion.lua). Neovim 0.12+: vim.lsp.inline_completion does
-- (lua/infilld/native.lua). See editors/nvim/README.md.

local config = require("infilld.config")
local status = require("infilld.status")
local util = require("infilld.util")

local api = vim.api
local M = {}

M.options = nil       -- the resolved setup() options
M.renderer = nil      -- "builtin" or "native"
M.enabled = true
local client_id = nil
local root_dir = nil
local init_result = nil

local function notify(msg, level)
  vim.notify("infilld: " .. msg, level or vim.log.levels.INFO)
end

local function completion() return require("infilld.completion") end
local function native() return require("infilld.native") end

---------------------------------------------------------------------------------------
-- the client

--- The infilld client, attached to bufnr when given (nil when it is not). A client
--- still initializing counts as attached to the buffers it will open.
function M.client(bufnr)
  if not client_id then return nil end
  local c = vim.lsp.get_client_by_id(client_id)
  if not c or util.call(c, "is_stopped") then return nil end
  if bufnr and not (c.attached_buffers and c.attached_buffers[bufnr])
      and not vim.lsp.buf_is_attached(bufnr, c.id) then
    return nil
  end
  return c
end

local function eligible(bufnr)
  if not M.options or not api.nvim_buf_is_valid(bufnr) or not api.nvim_buf_is_loaded(bufnr) then
    return false
  end
  if vim.bo[bufnr].buftype ~= "" then return false end
  if api.nvim_buf_get_name(bufnr) == "" then return false end
  local ft = vim.bo[bufnr].filetype
  local on = M.options.filetypes[ft]
  if on == nil then on = M.options.filetypes["*"] end
  return on and true or false
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.general = caps.general or {}
  caps.general.positionEncodings = M.options.position_encodings
  caps.window = caps.window or {}
  caps.window.workDoneProgress = true
  caps.textDocument = caps.textDocument or {}
  caps.textDocument.inlineCompletion = caps.textDocument.inlineCompletion or { dynamicRegistration = false }
  return caps
end

local function client_config()
  local opts = M.options
  local bin = config.find_binary(opts)
  local init_options = vim.deepcopy(opts.settings)
  if opts.model then init_options.model = vim.fn.expand(opts.model) end
  if init_options.streaming == nil then
    init_options.streaming = opts.streaming and M.renderer == "builtin"
  end
  local default_progress = vim.lsp.handlers["$/progress"]
  return {
    name = "infilld",
    cmd = opts.cmd or { bin or "infilld", "lsp" },
    root_dir = root_dir,
    init_options = init_options,
    capabilities = capabilities(),
    handlers = {
      ["didChangeStatus"] = function(_, params)
        status.on_did_change_status(params)
        return vim.NIL
      end,
      ["$/progress"] = function(err, params, ctx, cfg)
        status.on_progress(params)
        if default_progress then pcall(default_progress, err, params, ctx, cfg) end
        return vim.NIL
      end,
      ["infilld/completionUpdate"] = function(_, params, ctx)
        completion().on_stream_update(params, ctx.client_id)
        return vim.NIL
      end,
    },
    on_init = function(client, result)
      init_result = result
      -- Neovim before 0.10 ignores the server's positionEncoding: take it here, before
      -- any text is sent.
      local enc = result and result.capabilities and result.capabilities.positionEncoding
      if enc then client.offset_encoding = enc end
      if status.current.state == "starting" then status.set("loading") end
    end,
    on_exit = function(code, signal, id)
      vim.schedule(function()
        if id ~= nil and client_id ~= nil and id ~= client_id then return end -- an older client
        client_id = nil
        if M.renderer == "builtin" then completion().reset() end
        if code == 0 and (signal or 0) == 0 then
          status.set("stopped")
        else
          status.set("error", string.format("the server exited (code %s, signal %s)", tostring(code),
                                             tostring(signal)))
        end
      end)
    end,
    on_attach = function(_, bufnr)
      if M.renderer == "native" and M.enabled then native().attach(bufnr) end
    end,
  }
end

--- Starts the server (if needed) and attaches it to bufnr (default: current buffer).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  if not M.enabled or not eligible(bufnr) then return nil end
  if M.client(bufnr) then return client_id end
  local c = M.client()
  if c then
    vim.lsp.buf_attach_client(bufnr, c.id)
    return c.id
  end
  if status.current.state == "stopped" or status.current.state == "error" then status.set("starting") end
  if vim.lsp.start and util.has_version(0, 8) then
    client_id = vim.lsp.start(client_config(), {
      bufnr = bufnr,
      reuse_client = function(other) return other.name == "infilld" and other.id == client_id end,
    })
  else
    client_id = vim.lsp.start_client(client_config())
    if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
  end
  if not client_id then status.set("error", "could not start " .. vim.inspect(client_config().cmd)) end
  return client_id
end

--- Stops the server.
function M.stop()
  local c = M.client()
  if c then util.call(c, "stop") end
  client_id = nil
end

---------------------------------------------------------------------------------------
-- keys

local previous = {} -- lhs -> maparg() of the Insert-mode mapping before setup

local function fallback(lhs)
  local prev = previous[lhs]
  if prev and prev.callback then
    if prev.expr == 1 then return prev.callback() or "" end
    return "<Cmd>lua require('infilld')._fallback(" .. vim.inspect(lhs) .. ")<CR>"
  end
  if prev and prev.rhs and prev.rhs ~= "" and prev.expr ~= 1 then return prev.rhs end
  return lhs
end

function M._fallback(lhs)
  local prev = previous[lhs]
  if prev and prev.callback then prev.callback() end
end

--- Whether a suggestion is shown in the current buffer.
function M.visible()
  if M.renderer == "native" then return native().visible(0) end
  return completion().visible()
end

--- Accepts the suggestion: kind "all" (default), "word" or "line". False when none is shown.
function M.accept(kind)
  kind = kind or "all"
  if M.renderer == "native" then return native().accept(kind, M.client) end
  return completion().accept(kind)
end

--- Hides the suggestion; false when none was shown or pending.
function M.dismiss()
  if M.renderer == "native" then return native().dismiss() end
  return completion().dismiss()
end

--- Requests a suggestion at the cursor now (Insert mode).
function M.trigger()
  if M.renderer == "native" then return native().trigger() end
  return completion().request(1)
end

--- The suggestion shown (builtin renderer): {text, item, row, col, ...} or nil.
function M.get_suggestion()
  if M.renderer == "builtin" then return completion().current() end
  return nil
end

local actions = {
  accept = function() return M.visible() end,
  accept_word = function() return M.visible() end,
  accept_line = function() return M.visible() end,
  dismiss = function()
    if M.renderer == "native" then return native().visible(0) end
    return completion().visible() or completion().current() ~= nil
  end,
  trigger = function() return true end,
}
local calls = {
  accept = "require('infilld').accept('all')",
  accept_word = "require('infilld').accept('word')",
  accept_line = "require('infilld').accept('line')",
  dismiss = "require('infilld').dismiss()",
  trigger = "require('infilld').trigger()",
}

local function set_keys()
  for action, lhs in pairs(M.options.keys) do
    if lhs and actions[action] then
      local prev = vim.fn.maparg(lhs, "i", false, true)
      if type(prev) == "table" and prev.lhs and not (prev.desc or ""):match("^infilld") then
        previous[lhs] = prev
      end
      vim.keymap.set("i", lhs, function()
        if M.enabled and actions[action]() then return "<Cmd>lua " .. calls[action] .. "<CR>" end
        return fallback(lhs)
      end, { expr = true, silent = true, desc = "infilld: " .. action })
    end
  end
end

---------------------------------------------------------------------------------------
-- setup

local function attach_loaded()
  for _, b in ipairs(api.nvim_list_bufs()) do
    if eligible(b) then M.attach(b) end
  end
end

-- Grey ghost text, unless the user or the colour scheme defines the group.
local function define_highlight()
  vim.cmd("highlight default " .. M.options.hl_group .. " ctermfg=244 guifg=#808080 gui=italic")
end

local function set_autocmds()
  local group = api.nvim_create_augroup("infilld", { clear = true })
  local function on(events, fn)
    api.nvim_create_autocmd(events, { group = group, callback = function(ev) fn(ev) end })
  end
  on("ColorScheme", define_highlight)
  on({ "FileType", "BufEnter", "BufFilePost" }, function(ev) M.attach(ev.buf) end)
  if M.renderer == "builtin" then
    local c = completion()
    on("InsertEnter", function() if M.enabled then c.on_insert_enter() end end)
    on({ "TextChangedI", "TextChangedP" }, function() if M.enabled then c.on_text_changed() end end)
    on("CursorMovedI", function() c.on_cursor_moved() end)
    on({ "InsertLeave", "BufLeave" }, function() c.dismiss() end)
  end
end

function M.setup(user)
  local opts, problems = config.resolve(user)
  for _, p in ipairs(problems) do notify(p, vim.log.levels.ERROR) end
  M.options = opts
  define_highlight()
  if opts.renderer == "native" and not native().available() then
    notify("renderer = \"native\" needs Neovim 0.12+ (vim.lsp.inline_completion); using the builtin one",
           vim.log.levels.WARN)
  end
  local want_native = opts.renderer == "native" or (opts.renderer == "auto" and util.has_version(0, 12))
  M.renderer = (want_native and native().available()) and "native" or "builtin"
  root_dir = root_dir or (vim.uv or vim.loop).cwd()
  completion().setup(opts, M.client)
  set_autocmds()
  set_keys()
  if opts.start_at_setup then attach_loaded() end
end

--- Turns suggestions on or off (the server keeps running).
function M.enable(on)
  M.enabled = on ~= false
  if not M.enabled then
    if M.renderer == "builtin" then completion().reset() end
    if M.renderer == "native" then
      for b in pairs((M.client() or {}).attached_buffers or {}) do native().detach(b) end
    end
  else
    attach_loaded()
    if M.renderer == "native" then
      for b in pairs((M.client() or {}).attached_buffers or {}) do native().attach(b) end
    end
  end
end

---------------------------------------------------------------------------------------
-- status and statistics

--- For the statusline: "infilld: loading 42%", "infilld: ready", "infilld: busy",
--- "infilld: error", "" when no server runs. opts: {prefix = "infilld: ", stopped = ""}.
function M.statusline(opts)
  return status.statusline(opts)
end

--- Lines describing the plugin's state (:InfilldStatus).
function M.status_lines()
  local out = {}
  local function add(fmt, ...) table.insert(out, string.format(fmt, ...)) end
  if not M.options then return { "infilld: setup() has not been called" } end
  local c = M.client()
  add("infilld: %s%s", status.describe(), M.enabled and "" or " [suggestions disabled]")
  local bin, from = config.find_binary(M.options)
  add("  binary:   %s (%s)", tostring(bin), from)
  local model, mfrom = config.model_dir(M.options)
  add("  model:    %s (%s)", tostring(model), mfrom)
  add("  renderer: %s", M.renderer == "native" and native().describe() or require("infilld.ghost").describe())
  if c then
    local n = vim.tbl_count(c.attached_buffers or {})
    add("  client:   id %d, %d buffer(s), position encoding %s", c.id, n, tostring(c.offset_encoding))
    if init_result and init_result.serverInfo then
      add("  server:   %s %s", tostring(init_result.serverInfo.name), tostring(init_result.serverInfo.version))
    end
  else
    add("  client:   not running")
  end
  if M.renderer == "builtin" then
    local k = completion().counters
    add("  this session: %d request(s), %d cancelled, %d empty, %d error(s), %d shown, %d accepted, %d partial, %d dismissed",
        k.requests, k.cancelled, k.empty, k.errors, k.shown, k.accepted, k.partial, k.dismissed)
    local e = completion().last_error
    if e then add("  last error: %s", tostring(e.message or vim.inspect(e))) end
  end
  return out
end

local function format_stats(st)
  local lines = { "infilld/stats:" }
  local keys = vim.tbl_keys(st or {})
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = st[k]
    if type(v) == "table" then
      local parts = {}
      for kk, vv in pairs(v) do
        table.insert(parts, kk .. "=" .. (type(vv) == "number" and string.format("%.4g", vv) or tostring(vv)))
      end
      table.sort(parts)
      v = table.concat(parts, " ")
    end
    table.insert(lines, string.format("  %-18s %s", k, tostring(v)))
  end
  return lines
end

--- Requests infilld/stats; calls cb(err, stats).
function M.stats(cb)
  local c = M.client()
  if not c then return cb({ message = "the server is not running" }, nil) end
  util.call(c, "request", "infilld/stats", nil, function(err, result) cb(err, result) end,
            api.nvim_get_current_buf())
end

--- The lines :InfilldStats prints (waits up to timeout_ms for the server).
function M.stats_lines(timeout_ms)
  local c = M.client()
  if not c then return { "infilld: the server is not running" } end
  local reply, err = util.call(c, "request_sync", "infilld/stats", nil, timeout_ms or 3000,
                               api.nvim_get_current_buf())
  if not reply then return { "infilld/stats: " .. tostring(err or "no reply") } end
  if reply.err then return { "infilld/stats: " .. tostring(reply.err.message or vim.inspect(reply.err)) } end
  return format_stats(reply.result)
end

return M
