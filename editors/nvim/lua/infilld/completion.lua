-- The plugin's own inline completion (Neovim before 0.12, or renderer = "builtin"):
-- debounced textDocument/inlineCompletion requests while typing in Insert mode, ghost
-- text, accept (whole / word / line), dismiss, typed-through suggestions, streaming.
--
-- One request is in flight at a time. A keystroke cancels it (client.cancel_request)
-- and forgets it: every request carries a sequence number and a reply (or streaming
-- update) whose number is not the latest is ignored. Nothing ever waits on a reply, so
-- Neovim 0.7.2 dropping the RequestCancelled answer without calling the handler is
-- harmless.

local util = require("infilld.util")
local ghost = require("infilld.ghost")

local api = vim.api
local M = {}

local opts            -- setup() options
local get_client      -- function(bufnr) -> the infilld client attached to bufnr, or nil

-- counters, shown by :InfilldStatus (and read by the tests)
M.counters = { requests = 0, cancelled = 0, replies = 0, empty = 0, errors = 0, shown = 0,
               stream_updates = 0, accepted = 0, partial = 0, dismissed = 0 }

local seq = 0         -- number of the latest request (or of the latest keystroke)
local pending = nil   -- {client, id, seq, bufnr, tick, row, col}
local timer = nil
local sugg = nil      -- the suggestion shown, see show_suggestion()

local function now_tick(bufnr)
  return api.nvim_buf_get_changedtick(bufnr)
end

local function cursor()
  local c = api.nvim_win_get_cursor(0)
  return c[1] - 1, c[2]
end

local function in_insert_mode()
  local m = api.nvim_get_mode().mode
  return m == "i" or m == "ic" or m == "ix"
end

local function stop_timer()
  if timer then
    timer:stop()
    if not timer:is_closing() then timer:close() end
    timer = nil
  end
end

--- Cancels the request in flight (if any); its reply will be ignored.
local function cancel_pending()
  if pending then
    local p = pending
    pending = nil
    M.counters.cancelled = M.counters.cancelled + 1
    if not util.call(p.client, "is_stopped") then pcall(util.call, p.client, "cancel_request", p.id) end
  end
end

--- Hides the suggestion.
local function hide()
  if sugg then ghost.clear(sugg.bufnr) end
  sugg = nil
end

--- The suggestion shown, or nil: {text = the rest not yet inserted, item, full = the
--- whole suggestion from its anchor (anchor_row, anchor_col), consumed = bytes of it
--- inserted since, row, col = where the rest is drawn (the cursor), streaming = true
--- while it comes from infilld/completionUpdate}. Rows and byte columns are 0-based.
function M.current()
  if not sugg then return nil end
  return { text = sugg.text:sub(sugg.consumed + 1), item = sugg.item, full = sugg.text,
           consumed = sugg.consumed, row = sugg.cur_row, col = sugg.cur_col,
           anchor_row = sugg.row, anchor_col = sugg.col, bufnr = sugg.bufnr,
           streaming = sugg.item == nil, extmark = sugg.extmark }
end

--- True when no request is in flight and none is scheduled.
function M.idle()
  return pending == nil and timer == nil
end

function M.visible()
  return sugg ~= nil and sugg.consumed < #sugg.text
end

-- Draws the rest of the suggestion at the cursor position it expects.
local function render()
  local rest = sugg.text:sub(sugg.consumed + 1)
  sugg.extmark = ghost.show(sugg.bufnr, sugg.cur_row, sugg.cur_col, rest, opts.hl_group)
  if not sugg.extmark then hide() end
end

-- `anchor_text` is the part of the item's insertText already in the buffer before the
-- cursor (item ranges that start before the cursor); text is what remains to insert.
local function show_suggestion(bufnr, client, row, col, text, item, anchor_text)
  hide()
  sugg = { bufnr = bufnr, client_id = client.id, row = row, col = col, text = text, item = item,
           anchor_text = anchor_text or "", consumed = 0, cur_row = row, cur_col = col,
           tick = now_tick(bufnr), after = (api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""):sub(col + 1) }
  render()
  if sugg and item then
    M.counters.shown = M.counters.shown + 1
    util.call(client, "notify", "textDocument/didShowCompletion", { item = item })
  end
end

-- The reply's first usable item as (text to insert at the cursor, item, anchor text).
local function usable_item(result, bufnr, client, row, col)
  local items = type(result) == "table" and (result.items or result) or {}
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  for _, item in ipairs(items) do
    local text = item.insertText
    if type(text) == "table" then text = text.value end -- a snippet: shown as written
    if type(text) == "string" and text ~= "" then
      local r = item.range
      if type(r) ~= "table" then return text, item, "" end
      local s, e = r.start, r["end"]
      if s and e and s.line == row and e.line == row then
        local enc = client.offset_encoding or "utf-16"
        local scol = util.byte_col(line, s.character, enc)
        local ecol = util.byte_col(line, e.character, enc)
        if scol and ecol == col and scol <= col then
          local existing = line:sub(scol + 1, col)
          if text:sub(1, #existing) == existing and #text > #existing then
            return text:sub(#existing + 1), item, existing
          end
        end
      end
    end
  end
  return nil
end

local function request_is_current(p, bufnr)
  if api.nvim_get_current_buf() ~= bufnr or not in_insert_mode() then return false end
  if now_tick(bufnr) ~= p.tick then return false end
  local row, col = cursor()
  return row == p.row and col == p.col
end

local function on_reply(p, err, result)
  if pending == nil or pending.seq ~= p.seq then return end -- superseded or cancelled
  pending = nil
  M.counters.replies = M.counters.replies + 1
  if err then
    M.counters.errors = M.counters.errors + 1
    M.last_error = err
    return
  end
  if not request_is_current(p, p.bufnr) then return end
  local text, item, anchor_text = usable_item(result, p.bufnr, p.client, p.row, p.col)
  if not text then
    M.counters.empty = M.counters.empty + 1
    if sugg and sugg.item == nil then hide() end -- a streamed preview that came to nothing
    return
  end
  show_suggestion(p.bufnr, p.client, p.row, p.col, text, item, anchor_text)
end

--- infilld/completionUpdate {id, uri, text}: a preview of the request in flight.
function M.on_stream_update(params, client_id)
  if not opts or not opts.streaming or type(params) ~= "table" then return end
  local p = pending
  if not p or p.client.id ~= client_id or p.id ~= params.id or type(params.text) ~= "string" then return end
  if params.text == "" or not request_is_current(p, p.bufnr) then return end
  M.counters.stream_updates = M.counters.stream_updates + 1
  if sugg and sugg.item then return end -- never replace a final suggestion
  hide()
  sugg = { bufnr = p.bufnr, client_id = client_id, row = p.row, col = p.col, text = params.text,
           item = nil, anchor_text = "", consumed = 0, cur_row = p.row, cur_col = p.col,
           tick = p.tick, after = (api.nvim_buf_get_lines(p.bufnr, p.row, p.row + 1, false)[1] or ""):sub(p.col + 1) }
  render()
end

--- Sends a request for the cursor's position now. kind: 1 Invoked, 2 Automatic.
function M.request(kind)
  stop_timer()
  local bufnr = api.nvim_get_current_buf()
  if not in_insert_mode() then return false end
  local client = get_client(bufnr)
  if not client then return false end
  if not client.initialized then
    -- the server is starting: ask again in a moment
    M.schedule_request()
    return false
  end
  cancel_pending()
  local row, col = cursor()
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local enc = client.offset_encoding or "utf-16"
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = row, character = util.units(line, col, enc) },
    context = { triggerKind = kind or 2 },
  }
  seq = seq + 1
  local p = { client = client, seq = seq, bufnr = bufnr, tick = now_tick(bufnr), row = row, col = col }
  -- client.request sends the buffer's pending didChange first
  local ok, id = util.call(client, "request", "textDocument/inlineCompletion", params, function(err, result)
    on_reply(p, err, result)
  end, bufnr)
  if not ok then return false end
  p.id = id
  pending = p
  M.counters.requests = M.counters.requests + 1
  return true
end

--- Arms the debounce timer: a request when it expires.
function M.schedule_request()
  stop_timer()
  seq = seq + 1
  local my = seq
  local t = (vim.uv or vim.loop).new_timer()
  timer = t
  t:start(opts.debounce_ms, 0, vim.schedule_wrap(function()
    if timer ~= t then return end -- stopped (and closed) since
    stop_timer()
    if my ~= seq then return end
    M.request(2)
  end))
end

-- Whether the text from the suggestion's anchor to the cursor is a prefix of it (the
-- user typed it, or it was accepted in parts) and the rest of the line is as it was.
-- Returns the number of bytes consumed, or nil.
local function typed_through(bufnr)
  if not sugg or sugg.bufnr ~= bufnr then return nil end
  local row, col = cursor()
  if row < sugg.row or (row == sugg.row and col < sugg.col) then return nil end
  local ok, got = pcall(api.nvim_buf_get_text, bufnr, sugg.row, sugg.col, row, col, {})
  if not ok then return nil end
  local typed = table.concat(got, "\n")
  if #typed > #sugg.text or sugg.text:sub(1, #typed) ~= typed then return nil end
  local line = api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  if line:sub(col + 1) ~= sugg.after then return nil end
  return #typed
end

--- TextChangedI / TextChangedP.
function M.on_text_changed()
  local bufnr = api.nvim_get_current_buf()
  if not get_client(bufnr) then return end
  local consumed = typed_through(bufnr)
  if consumed and consumed < #sugg.text and sugg.item then
    -- keep showing the rest; no request (the server would answer the same rest)
    sugg.consumed = consumed
    sugg.cur_row, sugg.cur_col = cursor()
    sugg.tick = now_tick(bufnr)
    stop_timer()
    cancel_pending()
    render()
    return
  end
  hide()
  cancel_pending()
  if opts.auto_trigger then M.schedule_request() else stop_timer() end
end

--- CursorMovedI: a move that is not typing dismisses the suggestion.
function M.on_cursor_moved()
  local bufnr = api.nvim_get_current_buf()
  if sugg == nil and pending == nil then return end
  local tick = now_tick(bufnr)
  if sugg and sugg.bufnr == bufnr and tick ~= sugg.tick then return end -- typing: TextChangedI follows
  if pending and pending.bufnr == bufnr and tick ~= pending.tick then return end
  local row, col = cursor()
  if sugg and sugg.bufnr == bufnr and row == sugg.cur_row and col == sugg.cur_col then return end
  if pending and pending.bufnr == bufnr and row == pending.row and col == pending.col and not sugg then return end
  M.dismiss()
end

--- InsertEnter: a suggestion for where Insert mode starts.
function M.on_insert_enter()
  if opts.auto_trigger and get_client(api.nvim_get_current_buf()) then M.schedule_request() end
end

--- Hides the suggestion and cancels the request in flight (InsertLeave, dismiss key, ...).
function M.dismiss()
  local had = sugg ~= nil or pending ~= nil
  stop_timer()
  seq = seq + 1
  cancel_pending()
  hide()
  if had then M.counters.dismissed = M.counters.dismissed + 1 end
  return had
end

-- Reports a full acceptance: runs the item's command (workspace/executeCommand).
local function report_accept(s, client)
  M.counters.accepted = M.counters.accepted + 1
  local cmd = s.item and s.item.command
  if client and type(cmd) == "table" and cmd.command then
    util.call(client, "request", "workspace/executeCommand", { command = cmd.command, arguments = cmd.arguments },
                   function() end, s.bufnr)
  end
end

-- Reports a partial acceptance: acceptedLength is in UTF-16 units from the start of
-- the item's insertText.
local function report_partial(s, client)
  M.counters.partial = M.counters.partial + 1
  if client and s.item then
    local accepted = s.anchor_text .. s.text:sub(1, s.consumed)
    util.call(client, "notify", "textDocument/didPartiallyAcceptCompletion",
                  { item = s.item, acceptedLength = util.length(accepted, "utf-16") })
  end
end

--- Inserts all of the suggestion ("all"), its next word ("word") or its next line
--- ("line") at the cursor. Returns false when no suggestion is shown.
function M.accept(kind)
  if not M.visible() then return false end
  local s = sugg
  local bufnr = api.nvim_get_current_buf()
  if s.bufnr ~= bufnr then return false end
  local row, col = cursor()
  if row ~= s.cur_row or col ~= s.cur_col then
    M.dismiss()
    return false
  end
  local rest = s.text:sub(s.consumed + 1)
  local part = rest
  if kind == "word" then part = util.next_word(rest)
  elseif kind == "line" then part = util.next_line(rest) end
  if part == "" then part = rest end
  local pieces = util.lines(part)
  api.nvim_buf_set_text(bufnr, row, col, row, col, pieces)
  local end_row = row + #pieces - 1
  local end_col = (#pieces == 1 and col or 0) + #pieces[#pieces]
  api.nvim_win_set_cursor(0, { end_row + 1, end_col })
  s.consumed = s.consumed + #part
  local client = get_client(bufnr)
  if s.consumed >= #s.text then
    report_accept(s, client)
    hide()
    -- TextChangedI follows and requests the next suggestion
  else
    report_partial(s, client)
    s.cur_row, s.cur_col = end_row, end_col
    s.tick = now_tick(bufnr)
    render()
  end
  return true
end

--- Everything about the buffer is forgotten (BufLeave, client exit, disable).
function M.reset()
  stop_timer()
  seq = seq + 1
  cancel_pending()
  hide()
end

function M.setup(options, client_getter)
  opts = options
  get_client = client_getter
end

return M
