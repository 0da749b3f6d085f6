-- Requests a path picked at random (per thread, fixed seed) from a file of paths, one per line: a mix of
-- different queries rather than the same one over and over. Argument: the paths file.
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(7 + #paths)
  refused = 0
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function response(status)
  if status ~= 200 then refused = refused + 1 end
end
