-- One signed-in fan per wrk thread (one connection each): hold 2 seats of the fan's own slice, release the hold,
-- again. Arguments: the fans file (one line per fan: session cookie, profile id, comma-separated seat ids), the
-- show id, and optionally a think time in ms between requests (for a rate below the maximum).
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local line_no = 0
  for line in io.lines(args[1]) do
    if line_no == id then
      local cookie, fan, seat_list = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      seats = {}
      for seat in seat_list:gmatch("[^,]+") do seats[#seats + 1] = seat end
      headers = { ["Cookie"] = cookie, ["X-Fan"] = fan, ["Content-Type"] = "application/json" }
    end
    line_no = line_no + 1
  end
  show = args[2]
  think_ms = tonumber(args[3] or "0")
  hold = nil
  round = 0
  refused = 0
end

function delay()
  return think_ms
end

function request()
  if hold then
    return wrk.format("DELETE", "/api/v1/holds/" .. hold, headers)
  end
  local start = (round * 2) % (#seats - 1) + 1
  round = round + 1
  local body = '{"seat_ids":["' .. seats[start] .. '","' .. seats[start + 1] .. '"]}'
  return wrk.format("POST", "/api/v1/shows/" .. show .. "/holds", headers, body)
end

function response(status, _, body)
  if hold then
    if status ~= 204 then refused = refused + 1 end
    hold = nil
  elseif status == 201 then
    hold = body:match('"hold_id":"([^"]+)"')
  else
    refused = refused + 1
  end
end
