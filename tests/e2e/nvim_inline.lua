-- End-to-end test: the real Neovim LSP client (0.7.2 API: vim.lsp.start_client,
-- vim.lsp.buf_attach_client, client.request) against `infilld lsp`.
--
--   nvim --headless --clean -n -i NONE FILE -c "luafile tests/e2e/nvim_inline.lua"
--
-- Environment:
--   INFILLD_BIN          the infilld binary (required)
--   INFILLD_MODEL_DIR    the model folder, passed as `lsp --model DIR` (required)
--   INFILLD_E2E_FILE     the source file to open (default: the current buffer's file)
--   INFILLD_E2E_RESULT   where to write the JSON result (default: none; the verdict is
--                        printed either way as "E2E OK" or "E2E FAIL: reason")
--   INFILLD_E2E_LINE     0-based line where the user types (default: the last line)
--   INFILLD_E2E_COL      0-based byte column there (default: the end of that line)
--   INFILLD_E2E_TYPED    JSON list of strings, typed one after the other at that spot;
--                        after each, an inline completion is requested, until one answers
--                        an item that can be typed through (the tiny random model may
--                        answer an empty list, or an item too short or starting with a
--                        line break).
--                        No control characters (keys are fed raw); 'indentkeys' is cleared
--                        for the buffer so that typing never reindents
--                        (default: ["x", "y", "z"])
--   INFILLD_E2E_DELETE_COL  0-based byte column, on the typing line and before
--                        INFILLD_E2E_COL, of a character deleted with `x` in Normal mode
--                        before typing (a didChange with a non-empty range; put a
--                        multi-byte character there) (default: no deletion)
--   INFILLD_E2E_TYPE_THROUGH  number of characters of the suggestion to type before
--                        accepting the rest; the server must answer the rest from its
--                        cache: infilld/stats counts one more typedThroughHits and, with
--                        INFILLD_E2E_SPECULATIVE=0, no new forward pass (default 0:
--                        accept at once)
--   INFILLD_E2E_SPECULATIVE "0": initializationOptions.speculative = false (default: the
--                        server's default)
--   INFILLD_E2E_STREAMING  "1": initializationOptions.streaming = true; the request that
--                        answers the item must have sent infilld/completionUpdate
--                        notifications, each a prefix of the item (default: off, and
--                        then none may arrive)
--   INFILLD_E2E_BACKEND  JSON of initializationOptions.backend (another engine fills the
--                        middles, docs/lsp.md) (default: none, the model here)
--   INFILLD_E2E_ENCODINGS comma list offered as capabilities.general.positionEncodings
--                        (default: none offered, as Neovim 0.7.2 itself does: UTF-16)
--   INFILLD_E2E_WAIT_MS  bound on every wait (default 30000)
--   INFILLD_E2E_LOG_LEVEL vim.lsp log level (default "debug": the log holds the
--                        whole JSON-RPC transcript; its path is in the result)
--
-- Exits with :qa! when every check passes, :cq otherwise. Nothing waits unbounded.
--
-- The flow is what a user and an inline completion plugin do: keys are fed to real
-- Insert mode (so Neovim's own change tracking sends incremental didChange), the
-- plugin code runs in a coroutine resumed by timers and request callbacks (so the
-- editor's main loop keeps running), the item is inserted at its range (converted
-- from the negotiated position encoding) and its command run through
-- workspace/executeCommand.

local api = vim.api

local common = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h") .. "/nvim_common.lua")
local getenv, show, fail, now_ms = common.getenv, common.show, common.fail, common.now_ms
-- position encodings and buffer text, done by hand so that a bug in Neovim's helpers or
-- ours shows up as a disagreement
local char_len, units_of, inserted = common.char_len, common.units_of, common.inserted

local R = {
  ok = false,
  reason = nil,
  checks = {},          -- {name, ok, detail}
  notifications = {},   -- server -> client notifications and requests, in order
  attempts = {},        -- one per inline completion request before acceptance
}
local client_id, client, bufnr
local exited, exit_code, exit_signal = false, nil, nil

local WAIT_MS = tonumber(getenv("INFILLD_E2E_WAIT_MS", "30000"))

---------------------------------------------------------------------------------------
-- verdict ("E2E OK" or "E2E FAIL: reason", the result, :qa! or :cq!) and checks; the
-- test body runs in a coroutine, sleeping yields to the main loop

local T = common.test({
  R = R,
  marker = "E2E",
  result_path = getenv("INFILLD_E2E_RESULT", nil),
  wait_ms = WAIT_MS,
  on_finish = function()
    if client and not client.is_stopped() then
      pcall(client.stop, true)
    end
  end,
})
local check, finish = T.check, T.finish

-- byte column of `units` units of `enc` into line; nil when past the end or inside a char
local function byte_col_of(line, units, enc)
  if enc == "utf-8" then
    if units > #line then return nil end
    if units < #line then
      local b = line:byte(units + 1)
      if b >= 0x80 and b < 0xC0 then return nil end
    end
    return units
  end
  local n, i = 0, 1
  while n < units do
    if i > #line then return nil end
    local len = char_len(line:byte(i))
    n = n + ((enc == "utf-16" and len == 4) and 2 or 1)
    i = i + len
  end
  if n ~= units then return nil end
  return i - 1
end

-- waits until cond() is true; false on timeout. Fails at once if the server exits,
-- unless allow_exit.
local function wait_for(what, cond, timeout_ms, allow_exit)
  return T.wait_for(cond, timeout_ms, function()
    if exited and not allow_exit then
      fail(string.format("server exited (code %s, signal %s) while waiting for %s",
        tostring(exit_code), tostring(exit_signal), what))
    end
  end)
end

-- sends a request through the client and waits for its reply: {err=, result=}
local function request(method, params, timeout_ms)
  local reply
  local t0 = now_ms()
  local ok, id = client.request(method, params, function(err, result)
    reply = { err = err, result = result }
  end, bufnr)
  if not ok then fail("client.request(" .. method .. ") refused: the client is stopped") end
  if not wait_for("the reply to " .. method, function() return reply ~= nil end, timeout_ms) then
    client.cancel_request(id)
    fail(string.format("no reply to %s (id %d) within %d ms", method, id, timeout_ms or WAIT_MS))
  end
  reply.ms = now_ms() - t0
  reply.id = id
  return reply
end

---------------------------------------------------------------------------------------
-- the editor side

local function lines()
  return api.nvim_buf_get_lines(bufnr, 0, -1, true)
end

local function feed(keys)
  -- "n": no mappings; "t": as if typed. No "x": the main loop runs them, in Insert mode.
  -- Raw text: escape K_SPECIAL bytes (0x80 occurs inside UTF-8 sequences).
  api.nvim_feedkeys(keys, "nt", true)
end

local function language_of(path)
  local ext = path:match("%.([%w]+)$") or ""
  local map = { py = "python", c = "c", h = "c", cc = "cpp", cpp = "cpp", hpp = "cpp",
                rs = "rust", go = "go", js = "javascript", ts = "typescript", lua = "lua" }
  return map[ext] or ext
end

-- the first n characters of the suggestion when they can be typed (no control
-- character, something left after them); nil and why otherwise
local function typeable_head(suggestion, n)
  local count, i = 0, 1
  while count < n and i <= #suggestion do
    i = i + char_len(suggestion:byte(i))
    count = count + 1
  end
  local head = suggestion:sub(1, i - 1)
  if count < n or i > #suggestion then
    return nil, "nothing left after " .. n .. " characters of " .. show(suggestion)
  end
  if head:find("%c") then return nil, "a control character in " .. show(head) end
  return head
end

local function position_equal(a, b)
  return type(a) == "table" and type(b) == "table" and a.line == b.line and a.character == b.character
end

---------------------------------------------------------------------------------------
-- the test

local function record_notification(method)
  return function(err, params, ctx, config)
    table.insert(R.notifications, { method = method, params = params, t = now_ms() })
    local default = vim.lsp.handlers[method]
    if default then
      local ok, res = pcall(default, err, params, ctx, config)
      if not ok then
        table.insert(R.notifications, { method = method, handler_error = tostring(res) })
        return vim.NIL
      end
      return res
    end
    return vim.NIL
  end
end

local function body()
  local bin = getenv("INFILLD_BIN", nil)
  local model = getenv("INFILLD_MODEL_DIR", nil)
  check("INFILLD_BIN is set", bin ~= nil)
  check("INFILLD_MODEL_DIR is set", model ~= nil)
  check("INFILLD_BIN is executable", vim.fn.executable(bin) == 1, bin)

  vim.lsp.set_log_level(getenv("INFILLD_E2E_LOG_LEVEL", "debug"))
  R.lsp_log = vim.lsp.get_log_path()

  local path = getenv("INFILLD_E2E_FILE", nil)
  if path then
    vim.cmd("edit " .. vim.fn.fnameescape(path))
  end
  bufnr = api.nvim_get_current_buf()
  path = api.nvim_buf_get_name(bufnr)
  check("a file is open", path ~= "", "set INFILLD_E2E_FILE")
  R.file = path
  -- Type literally: no reindenting on typed characters.
  vim.bo[bufnr].indentkeys = ""
  vim.bo[bufnr].cinkeys = ""
  vim.bo[bufnr].cindent = false
  vim.bo[bufnr].smartindent = false

  local file_lines = lines()
  R.file_lines = file_lines
  local base = file_lines
  local row = tonumber(getenv("INFILLD_E2E_LINE", tostring(#base - 1)))
  check("INFILLD_E2E_LINE is inside the file", row and row >= 0 and row < #base,
        tostring(row) .. " of " .. #base .. " lines")
  local col = tonumber(getenv("INFILLD_E2E_COL", tostring(#base[row + 1])))
  check("INFILLD_E2E_COL is inside the line", col and col >= 0 and col <= #base[row + 1]
        and byte_col_of(base[row + 1], col, "utf-8") ~= nil, tostring(col))
  local del_col = tonumber(getenv("INFILLD_E2E_DELETE_COL", "-1"))
  if del_col >= 0 then
    local l = base[row + 1]
    check("INFILLD_E2E_DELETE_COL is a character before INFILLD_E2E_COL", del_col < col
          and byte_col_of(l, del_col, "utf-8") ~= nil, tostring(del_col))
  end
  local type_through = tonumber(getenv("INFILLD_E2E_TYPE_THROUGH", "0"))
  local streaming = getenv("INFILLD_E2E_STREAMING", "0") == "1"
  local speculative = getenv("INFILLD_E2E_SPECULATIVE", "") ~= "0"
  local backend = getenv("INFILLD_E2E_BACKEND", "")
  local typed_list = vim.json.decode(getenv("INFILLD_E2E_TYPED", '["x", "y", "z"]'))
  check("INFILLD_E2E_TYPED is a non-empty list of strings", type(typed_list) == "table" and #typed_list > 0)
  for _, t in ipairs(typed_list) do
    check("typed text has no control character", type(t) == "string" and t ~= ""
          and not t:find("%c"), show(t))
  end

  local offered = {}
  for e in getenv("INFILLD_E2E_ENCODINGS", ""):gmatch("[^,%s]+") do table.insert(offered, e) end
  local expected_encoding = "utf-16"
  for _, e in ipairs(offered) do
    if e == "utf-8" or e == "utf-16" or e == "utf-32" then expected_encoding = e; break end
  end
  R.offered_encodings = offered

  local capabilities = vim.lsp.protocol.make_client_capabilities()
  if #offered > 0 then
    capabilities.general = capabilities.general or {}
    capabilities.general.positionEncodings = offered
  end

  local init_result
  client_id = vim.lsp.start_client({
    name = "infilld",
    cmd = { bin, "lsp", "--model", model },
    cmd_cwd = vim.fn.fnamemodify(path, ":h"),
    root_dir = vim.fn.fnamemodify(path, ":h"),
    init_options = { maxTokens = 16, streaming = streaming, speculative = speculative,
                     backend = backend ~= "" and vim.fn.json_decode(backend) or nil },
    capabilities = capabilities,
    get_language_id = function(b, _) return language_of(api.nvim_buf_get_name(b)) end,
    handlers = {
      ["window/logMessage"] = record_notification("window/logMessage"),
      ["window/showMessage"] = record_notification("window/showMessage"),
      ["$/progress"] = record_notification("$/progress"),
      ["window/workDoneProgress/create"] = record_notification("window/workDoneProgress/create"),
      ["didChangeStatus"] = record_notification("didChangeStatus"),
      ["infilld/completionUpdate"] = record_notification("infilld/completionUpdate"),
    },
    on_init = function(c, result)
      init_result = result
      -- Neovim 0.7.2 does not read positionEncoding itself; a client that offers
      -- encodings takes the server's choice here, before any text is sent.
      local enc = result and result.capabilities and result.capabilities.positionEncoding
      if enc then c.offset_encoding = enc end
    end,
    on_exit = function(code, signal)
      exited, exit_code, exit_signal = true, code, signal
    end,
  })
  check("vim.lsp.start_client started the server", client_id ~= nil)
  client = vim.lsp.get_client_by_id(client_id)
  check("vim.lsp.buf_attach_client", vim.lsp.buf_attach_client(bufnr, client_id))

  local initialized = wait_for("initialize", function()
    return client.initialized and client.attached_buffers[bufnr]
  end)
  check("the client is initialized and attached within the wait", initialized)

  -- the initialize result
  local caps = init_result.capabilities or {}
  R.server_capabilities = caps
  R.server_info = init_result.serverInfo
  check("serverInfo.name is infilld", init_result.serverInfo and init_result.serverInfo.name == "infilld",
        show(init_result.serverInfo))
  check("positionEncoding is " .. expected_encoding, caps.positionEncoding == expected_encoding,
        "offered " .. show(offered) .. ", got " .. show(caps.positionEncoding))
  check("client uses the negotiated encoding", client.offset_encoding == expected_encoding,
        show(client.offset_encoding))
  local sync = caps.textDocumentSync
  check("textDocumentSync is incremental with open/close", type(sync) == "table"
        and sync.change == 2 and sync.openClose == true, show(sync))
  check("inlineCompletionProvider is announced", caps.inlineCompletionProvider ~= nil)
  local ecp = caps.executeCommandProvider
  check("executeCommandProvider lists infilld.accept", type(ecp) == "table"
        and vim.tbl_contains(ecp.commands or {}, "infilld.accept"), show(ecp))
  R.encoding = client.offset_encoding
  local enc = client.offset_encoding

  -- the user deletes a character with `x` in Normal mode
  if del_col >= 0 then
    local l = base[row + 1]
    local len = char_len(l:byte(del_col + 1))
    local after = vim.deepcopy(base)
    after[row + 1] = l:sub(1, del_col) .. l:sub(del_col + len + 1)
    api.nvim_win_set_cursor(0, { row + 1, del_col })
    feed("x")
    check("`x` deleted " .. show(l:sub(del_col + 1, del_col + len)),
          wait_for("the deletion", function() return vim.deep_equal(lines(), after) end, 5000),
          show(lines()[row + 1]))
    R.deleted = l:sub(del_col + 1, del_col + len)
    base = after
    col = col - len
  end
  R.original = base  -- the text before typing

  -- the user types, in Insert mode, at (row, col)
  local typed = ""
  local item, request_pos
  api.nvim_win_set_cursor(0, { row + 1, col })
  if col == #base[row + 1] then feed("A") else feed("i") end
  for _, t in ipairs(typed_list) do
    feed(t)
    typed = typed .. t
    local want = inserted(base, row, col, typed)
    local ok_typed = wait_for("the typed keys", function()
      return vim.deep_equal(lines(), want)
    end, 5000)
    check("Insert mode typed " .. show(typed), ok_typed, "buffer: " .. show(lines()[row + 1]))
    local mode = api.nvim_get_mode().mode
    check("still in Insert mode", mode == "i", mode)
    local cur = api.nvim_win_get_cursor(0)
    check("cursor after the typed text", cur[1] == row + 1 and cur[2] == col + #typed, show(cur))

    local params = vim.lsp.util.make_position_params(0, enc)
    local mine = { line = row, character = units_of(lines()[row + 1], col + #typed, enc) }
    check("make_position_params agrees with the hand conversion", position_equal(params.position, mine),
          show(params.position) .. " vs " .. show(mine))
    params.context = { triggerKind = 1 }
    request_pos = params.position

    local reply = request("textDocument/inlineCompletion", params)
    local a = { id = reply.id, typed = typed, position = params.position, err = reply.err,
                result = reply.result, ms = reply.ms }
    table.insert(R.attempts, a)
    check("inlineCompletion answers without error", reply.err == nil, show(reply.err))
    local res = reply.result
    check("inlineCompletion answers an InlineCompletionList", type(res) == "table"
          and type(res.items) == "table", show(res))
    if #res.items > 0 then
      local text = res.items[1].insertText
      check("an answered item has a non-empty insertText", type(text) == "string" and text ~= "",
            show(res.items[1]))
      local head, why = true, nil
      if type_through > 0 then head, why = typeable_head(text, type_through) end
      if head then
        item = res.items[1]
        break
      end
      a.not_typeable = why
    end
  end
  R.typed = typed
  check("an item within " .. #typed_list .. " attempts", item ~= nil,
        "every request answered {items: []}" .. (type_through > 0 and (" or an item whose first "
        .. type_through .. " characters cannot be typed through") or "") .. "; add typed strings")
  R.item = item
  R.item_request_id = R.attempts[#R.attempts].id

  -- streaming: the updates of the request that answered the item
  local updates = {}
  for _, n in ipairs(R.notifications) do
    if n.method == "infilld/completionUpdate" then table.insert(updates, n.params) end
  end
  if not streaming then
    check("no infilld/completionUpdate without streaming", #updates == 0, show(updates[1]))
  else
    local mine, prev = {}, ""
    for _, u in ipairs(updates) do
      if type(u) == "table" and u.id == R.item_request_id then table.insert(mine, u.text) end
    end
    R.stream = mine
    check("infilld/completionUpdate for request " .. R.item_request_id, #mine >= 1,
          "updates: " .. show(updates))
    for _, u in ipairs(updates) do
      check("completionUpdate names the document", type(u) == "table" and u.uri == vim.uri_from_bufnr(bufnr),
            show(u))
    end
    for _, t in ipairs(mine) do
      check("each update grows the last one", type(t) == "string" and #t > #prev
            and t:sub(1, #prev) == prev, show(prev) .. " then " .. show(t))
      check("each update is a prefix of the item", item.insertText:sub(1, #t) == t,
            show(t) .. " vs " .. show(item.insertText))
      prev = t
    end
  end

  -- the item
  check("item.insertText is a non-empty string", type(item.insertText) == "string" and item.insertText ~= "",
        show(item.insertText))
  local range = item.range
  check("item.range is at the request position", type(range) == "table"
        and position_equal(range.start, request_pos) and position_equal(range["end"], request_pos),
        show(range) .. " vs " .. show(request_pos))
  local cmd = item.command
  check("item.command is infilld.accept with an id", type(cmd) == "table" and cmd.command == "infilld.accept"
        and type(cmd.arguments) == "table" and type(cmd.arguments[1]) == "table"
        and cmd.arguments[1].id ~= nil, show(cmd))

  -- the plugin shows it
  client.notify("textDocument/didShowCompletion", { item = item })

  -- the user types the first characters of the suggestion; the server answers the rest
  local suggestion = item.insertText
  local through = ""
  if type_through > 0 then
    through = typeable_head(suggestion, type_through)
    check("the suggestion's first " .. type_through .. " characters can be typed", through ~= nil,
          show(suggestion))
    -- the counters before typing through: the answer must come from the cache
    local s0 = request("infilld/stats", nil)
    check("infilld/stats before typing through", s0.err == nil and type(s0.result) == "table",
          show(s0.err))
    R.stats_before_type_through = s0.result
    feed(through)
    local want = inserted(base, row, col, typed .. through)
    check("typed through " .. show(through), wait_for("the typed keys", function()
      return vim.deep_equal(lines(), want)
    end, 5000), show(lines()[row + 1]))
    local params = vim.lsp.util.make_position_params(0, enc)
    check("position after typing through", position_equal(params.position,
          { line = row, character = units_of(lines()[row + 1], col + #typed + #through, enc) }),
          show(params.position))
    params.context = { triggerKind = 1 }
    local reply = request("textDocument/inlineCompletion", params)
    R.type_through = { typed = through, position = params.position, err = reply.err,
                       result = reply.result, ms = reply.ms }
    check("inlineCompletion after typing through answers without error", reply.err == nil, show(reply.err))
    local res = reply.result
    local rest = suggestion:sub(#through + 1)
    check("after typing through, the server answers the rest of the suggestion",
          type(res) == "table" and type(res.items) == "table" and res.items[1] ~= nil
          and res.items[1].insertText == rest,
          "expected " .. show(rest) .. ", got " .. show(res))
    item = res.items[1]
    range = item.range
    request_pos = params.position
    check("the rest's range is at the request position", type(range) == "table"
          and position_equal(range.start, request_pos) and position_equal(range["end"], request_pos),
          show(range))
    cmd = item.command
    check("the rest's command is infilld.accept with an id", type(cmd) == "table"
          and cmd.command == "infilld.accept" and type(cmd.arguments) == "table"
          and type(cmd.arguments[1]) == "table" and cmd.arguments[1].id ~= nil, show(cmd))
    local s1 = request("infilld/stats", nil)
    check("infilld/stats after typing through", s1.err == nil and type(s1.result) == "table",
          show(s1.err))
    local b, a = R.stats_before_type_through, s1.result
    R.stats_after_type_through = a
    check("typing through is one typedThroughHits more", type(a.typedThroughHits) == "number"
          and a.typedThroughHits == b.typedThroughHits + 1,
          show(b.typedThroughHits) .. " then " .. show(a.typedThroughHits))
    check("typing through is one request more", a.requests == b.requests + 1,
          show(b.requests) .. " then " .. show(a.requests))
    if not speculative then
      check("the rest needed no forward pass", type(a.forwards) == "number" and a.forwards == b.forwards,
            show(b.forwards) .. " then " .. show(a.forwards))
    end
    client.notify("textDocument/didShowCompletion", { item = item })
  end
  R.accepted_item = item

  -- accept: insert at the item's range, in bytes
  local srow = range.start.line
  local erow = range["end"].line
  local sline = lines()[srow + 1]
  local eline = lines()[erow + 1]
  local scol = byte_col_of(sline, range.start.character, enc)
  local ecol = byte_col_of(eline, range["end"].character, enc)
  check("item.range is a character boundary in " .. enc, scol ~= nil and ecol ~= nil, show(range))
  if vim.lsp.util._str_byteindex_enc then  -- a private helper of 0.7's vim.lsp.util
    local ok_nv, nv = pcall(vim.lsp.util._str_byteindex_enc, sline, range.start.character, enc)
    check("Neovim's conversion agrees", ok_nv and nv == scol, show(nv) .. " vs " .. show(scol))
  end
  local new_text = vim.split(item.insertText, "\n", true)
  local before = lines()
  api.nvim_buf_set_text(bufnr, srow, scol, erow, ecol, new_text)
  local end_row = srow + #new_text - 1
  local end_col = (#new_text == 1 and scol or 0) + #new_text[#new_text]
  api.nvim_win_set_cursor(0, { end_row + 1, end_col })

  local expected = inserted(base, row, col, typed .. suggestion)
  R.expected = expected
  R.buffer = lines()
  check("the buffer is the original with the typed text and the suggestion",
        vim.deep_equal(R.buffer, expected), show(R.buffer))
  check("the suggestion sits right after the typed text",
        vim.deep_equal(R.buffer, inserted(before, srow, scol, item.insertText)))

  -- run the item's command (the request flushes the pending didChange first)
  local ex = request("workspace/executeCommand", cmd)
  R.execute_command = { err = ex.err, result = ex.result }
  check("workspace/executeCommand answers without error", ex.err == nil, show(ex.err))
  check("workspace/executeCommand answers null", ex.result == nil or ex.result == vim.NIL, show(ex.result))

  -- a second request right after the acceptance, at the end of the inserted text
  local p2 = vim.lsp.util.make_position_params(0, enc)
  local line2 = lines()[p2.position.line + 1]
  check("second position from the cursor", position_equal(p2.position,
        { line = end_row, character = units_of(line2, end_col, enc) }), show(p2.position))
  p2.context = { triggerKind = 1 }
  local r2 = request("textDocument/inlineCompletion", p2)
  R.after_accept = { position = p2.position, err = r2.err, result = r2.result, ms = r2.ms }
  check("inlineCompletion after acceptance answers without error", r2.err == nil, show(r2.err))
  check("inlineCompletion after acceptance answers a list", type(r2.result) == "table"
        and type(r2.result.items) == "table", show(r2.result))
  for i, it in ipairs(r2.result.items) do
    check("item " .. i .. " after acceptance has a non-empty insertText", type(it.insertText) == "string"
          and it.insertText ~= "", show(it))
    check("item " .. i .. " after acceptance is at the cursor", type(it.range) == "table"
          and position_equal(it.range.start, p2.position), show(it.range))
  end

  -- statistics
  local st = request("infilld/stats", nil)
  R.stats = st.result
  check("infilld/stats answers without error", st.err == nil, show(st.err))
  local s = st.result
  check("infilld/stats is an object", type(s) == "table", show(s))
  local n_requests = #R.attempts + 1 + (type_through > 0 and 1 or 0)
  check("stats.requests counts the inline completions", type(s.requests) == "number"
        and s.requests >= n_requests, show(s.requests) .. " < " .. n_requests)
  check("stats.accepted >= 1", type(s.accepted) == "number" and s.accepted >= 1, show(s.accepted))
  -- one acceptance: the inserting didChange and the command are the same acceptance
  check("stats.accepted == 1 (insert + command count once)", s.accepted == 1, show(s.accepted))
  check("stats.shown >= 1 (didShowCompletion)", type(s.shown) == "number" and s.shown >= 1, show(s.shown))
  if type_through > 0 then
    check("stats.typedThroughHits >= 1", type(s.typedThroughHits) == "number"
          and s.typedThroughHits >= 1, show(s.typedThroughHits))
  end
  check("stats.errors == 0", s.errors == 0, show(s.errors))
  check("stats.latencyMs.count counts the answered requests", type(s.latencyMs) == "table"
        and s.latencyMs.count >= n_requests, show(s.latencyMs))

  -- nothing the server reported as an error (a didChange it could not apply, a bad setting)
  for _, n in ipairs(R.notifications) do
    if n.handler_error then
      check("Neovim's default handler accepts " .. n.method, false, n.handler_error)
    end
    if (n.method == "window/logMessage" or n.method == "window/showMessage")
        and type(n.params) == "table" and n.params.type == 1 then
      check("no error reported by the server", false, n.method .. ": " .. show(n.params.message))
    end
  end

  -- shutdown and exit: status 0
  client.stop()
  local stopped = wait_for("the server to exit", function() return exited end, 10000, true)
  check("the server exits after shutdown/exit", stopped)
  R.exit = { code = exit_code, signal = exit_signal }
  check("the server exits with status 0", exit_code == 0 and (exit_signal or 0) == 0,
        "code " .. show(exit_code) .. ", signal " .. show(exit_signal))

  finish(true, nil)
end

T.run(body)
