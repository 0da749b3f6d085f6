-- The same GET over and over; an answer other than 200 counts as refused.
refused = 0

function response(status)
  if status ~= 200 then refused = refused + 1 end
end
