/*
 * The card form of the Stripe stand-in's Payment Element. Runs in an iframe on the stand-in's origin:
 * card data is typed here and sent from here, straight to the stand-in's /v1 API. The parent page
 * only learns the outcome, through postMessage to the origin it named (checked both ways).
 */
(function () {
  "use strict";

  var query = new URLSearchParams(window.location.search);
  var frameId = query.get("id");
  var parentOrigin = (function (origin) {
    try {
      return origin && new URL(origin).origin === origin ? origin : null;
    } catch (err) {
      return null;
    }
  })(query.get("origin"));

  var form = document.getElementById("card-form");
  var formError = document.getElementById("form-error");
  var inputs = {
    number: document.getElementById("card-number"),
    expiry: document.getElementById("card-expiry"),
    cvc: document.getElementById("card-cvc")
  };
  var errorSlots = {
    number: document.getElementById("card-number-error"),
    expiry: document.getElementById("card-expiry-error"),
    cvc: document.getElementById("card-cvc-error")
  };
  var config = null; // {publishableKey, clientSecret} from the parent
  var busy = false;

  function post(type, extra) {
    if (!parentOrigin || window.parent === window) {
      return;
    }
    var message = Object.assign({ standin: 1, frameId: frameId, type: type }, extra || {});
    window.parent.postMessage(message, parentOrigin);
  }

  function reply(requestId, result) {
    post("result", { requestId: requestId, result: result });
  }

  /* Card rules, as Stripe.js applies them before anything is sent. */

  function digitsOf(value) {
    return (value || "").replace(/\D/g, "");
  }

  function brandOf(number) {
    if (/^3[47]/.test(number)) return "amex";
    if (/^4/.test(number)) return "visa";
    if (/^(5[1-5]|2[2-7])/.test(number)) return "mastercard";
    if (/^(6011|65|64[4-9])/.test(number)) return "discover";
    if (/^3(0|6|8|9)/.test(number)) return "diners";
    if (/^35/.test(number)) return "jcb";
    if (/^62/.test(number)) return "unionpay";
    return "unknown";
  }

  function numberLength(brand) {
    return { amex: 15, diners: 14, unknown: 19, unionpay: 19 }[brand] || 16;
  }

  function shortestNumber(brand) {
    return { amex: 15, diners: 14, unknown: 12 }[brand] || 16;
  }

  function luhnOk(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var digit = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) {
        digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function formatNumber(number) {
    if (brandOf(number) === "amex") {
      return [number.slice(0, 4), number.slice(4, 10), number.slice(10, 15)].filter(Boolean).join(" ");
    }
    return (number.match(/.{1,4}/g) || []).join(" ");
  }

  function formatExpiry(digits) {
    if (digits.length === 1 && digits > "1") {
      digits = "0" + digits; // "5" means May
    }
    digits = digits.slice(0, 4);
    return digits.length > 2 ? digits.slice(0, 2) + " / " + digits.slice(2) : digits;
  }

  function cardError(code, message) {
    return { type: "validation_error", code: code, message: message };
  }

  function checkNumber() {
    var number = digitsOf(inputs.number.value);
    var brand = brandOf(number);
    if (number.length < shortestNumber(brand)) {
      return cardError("incomplete_number", "Your card number is incomplete.");
    }
    if (!luhnOk(number)) {
      return cardError("invalid_number", "Your card number is invalid.");
    }
    return null;
  }

  function expiryOf() {
    var digits = digitsOf(inputs.expiry.value);
    return { month: Number(digits.slice(0, 2)), year: 2000 + Number(digits.slice(2, 4)), complete: digits.length === 4 };
  }

  function checkExpiry() {
    var expiry = expiryOf();
    if (!expiry.complete) {
      return cardError("incomplete_expiry", "Your card's expiration date is incomplete.");
    }
    if (expiry.month < 1 || expiry.month > 12) {
      return cardError("invalid_expiry_month", "Your card's expiration date is invalid.");
    }
    var now = new Date();
    if (expiry.year < now.getFullYear()) {
      return cardError("invalid_expiry_year_past", "Your card's expiration year is in the past.");
    }
    if (expiry.year === now.getFullYear() && expiry.month < now.getMonth() + 1) {
      return cardError("invalid_expiry_month_past", "Your card's expiration date is in the past.");
    }
    if (expiry.year > now.getFullYear() + 50) {
      return cardError("invalid_expiry_year", "Your card's expiration year is invalid.");
    }
    return null;
  }

  function checkCvc() {
    var needed = brandOf(digitsOf(inputs.number.value)) === "amex" ? 4 : 3;
    if (digitsOf(inputs.cvc.value).length < needed) {
      return cardError("incomplete_cvc", "Your card's security code is incomplete.");
    }
    return null;
  }

  var checks = { number: checkNumber, expiry: checkExpiry, cvc: checkCvc };

  function showError(field, error) {
    errorSlots[field].textContent = error ? error.message : "";
    if (error) {
      inputs[field].setAttribute("aria-invalid", "true");
    } else {
      inputs[field].removeAttribute("aria-invalid");
    }
    reportSize();
  }

  // The first problem of the whole form (shown next to its field), or null when it is complete.
  function validateAll() {
    var first = null;
    ["number", "expiry", "cvc"].forEach(function (field) {
      var error = checks[field]();
      showError(field, error);
      if (error && !first) {
        first = error;
        inputs[field].focus();
      }
    });
    return first;
  }

  function isEmpty() {
    return !inputs.number.value && !inputs.expiry.value && !inputs.cvc.value;
  }

  function isComplete() {
    return !checkNumber() && !checkExpiry() && !checkCvc();
  }

  function reportChange() {
    post("change", { empty: isEmpty(), complete: isComplete() });
  }

  function reportSize() {
    post("resize", { height: document.body.offsetHeight });
  }

  function setBusy(value) {
    busy = value;
    Object.keys(inputs).forEach(function (field) {
      inputs[field].disabled = value || !config;
    });
    form.setAttribute("aria-busy", value ? "true" : "false");
  }

  /* Typing: format as you go, move on when a field is complete. */

  function typedForward(event) {
    return event.inputType === "insertText" || event.inputType === "insertFromPaste";
  }

  inputs.number.addEventListener("input", function (event) {
    var number = digitsOf(inputs.number.value);
    number = number.slice(0, numberLength(brandOf(number)));
    inputs.number.value = formatNumber(number);
    showError("number", null);
    if (typedForward(event) && number.length === numberLength(brandOf(number)) && !checkNumber()) {
      inputs.expiry.focus();
    }
    reportChange();
  });

  inputs.expiry.addEventListener("input", function (event) {
    inputs.expiry.value = formatExpiry(digitsOf(inputs.expiry.value));
    showError("expiry", null);
    if (typedForward(event) && !checkExpiry()) {
      inputs.cvc.focus();
    }
    reportChange();
  });

  inputs.cvc.addEventListener("input", function () {
    inputs.cvc.value = digitsOf(inputs.cvc.value).slice(0, 4);
    showError("cvc", null);
    reportChange();
  });

  Object.keys(inputs).forEach(function (field) {
    inputs[field].addEventListener("blur", function () {
      // Point out a problem when the fan moves on to another field, but not when focus leaves the frame
      // (say, for the Pay button): the message would shift the page under the pointer mid-click, and
      // the submit shows it anyway.
      setTimeout(function () {
        if (inputs[field].value && document.hasFocus()) {
          showError(field, checks[field]());
        }
      }, 0);
      post("blur");
    });
    inputs[field].addEventListener("focus", function () {
      post("focus");
    });
  });

  // Enter inside the frame must not navigate it; the shop's page owns the pay button.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });

  /* Talking to the parent page. */

  function applyAppearance(appearance) {
    appearance = appearance || {};
    var root = document.documentElement;
    root.classList.toggle("theme-night", appearance.theme === "night");
    var variables = appearance.variables || {};
    var names = {
      colorPrimary: "--color-primary",
      colorBackground: "--color-background",
      colorText: "--color-text",
      colorDanger: "--color-danger",
      fontFamily: "--font-family",
      fontSizeBase: "--font-size-base",
      borderRadius: "--border-radius",
      spacingUnit: "--spacing-unit"
    };
    Object.keys(names).forEach(function (name) {
      if (typeof variables[name] === "string" && variables[name]) {
        root.style.setProperty(names[name], variables[name]);
      } else {
        root.style.removeProperty(names[name]);
      }
    });
    reportSize();
  }

  function intentIdOf(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret || "");
    return match ? match[1] : null;
  }

  function confirm(request) {
    if (busy) {
      reply(request.requestId, { error: cardError("confirm_in_progress", "This payment is already being confirmed.") });
      return;
    }
    var invalid = validateAll();
    if (invalid) {
      reply(request.requestId, { error: invalid });
      return;
    }
    var clientSecret = request.clientSecret || config.clientSecret;
    var intentId = intentIdOf(clientSecret);
    if (!intentId) {
      reply(request.requestId, { error: { type: "invalid_request_error", code: "invalid_client_secret", message: "The client secret is missing or malformed." } });
      return;
    }
    var expiry = expiryOf();
    var body = new URLSearchParams();
    body.set("key", config.publishableKey);
    body.set("client_secret", clientSecret);
    body.set("payment_method_data[type]", "card");
    body.set("payment_method_data[card][number]", digitsOf(inputs.number.value));
    body.set("payment_method_data[card][exp_month]", String(expiry.month));
    body.set("payment_method_data[card][exp_year]", String(expiry.year));
    body.set("payment_method_data[card][cvc]", digitsOf(inputs.cvc.value));
    if (request.returnUrl) {
      body.set("return_url", request.returnUrl);
    }
    if (request.receiptEmail) {
      body.set("receipt_email", request.receiptEmail);
    }
    formError.textContent = "";
    setBusy(true);
    fetch("/v1/payment_intents/" + encodeURIComponent(intentId) + "/confirm", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "omit",
      cache: "no-store"
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return response.ok ? { paymentIntent: answer } : { error: answer.error };
        });
      })
      .catch(function (err) {
        return { error: { type: "api_connection_error", message: "Could not reach the payment service: " + err.message } };
      })
      .then(function (result) {
        setBusy(false);
        reply(request.requestId, result);
      });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== parentOrigin) {
      return;
    }
    var data = event.data;
    if (!data || data.standin !== 1 || data.frameId !== frameId) {
      return;
    }
    switch (data.type) {
      case "init":
        if (typeof data.publishableKey !== "string" || data.publishableKey.indexOf("pk_") !== 0) {
          formError.textContent = "This payment form was set up without a publishable key.";
          post("loaderror", { error: { type: "invalid_request_error", message: "Invalid publishable key." } });
          return;
        }
        config = { publishableKey: data.publishableKey, clientSecret: data.clientSecret || null };
        applyAppearance(data.appearance);
        setBusy(false);
        post("ready");
        reportChange();
        break;
      case "update":
        applyAppearance(data.appearance);
        break;
      case "focus":
        inputs.number.focus();
        break;
      case "blur":
        if (document.activeElement && document.activeElement.blur) {
          document.activeElement.blur();
        }
        break;
      case "clear":
        form.reset();
        Object.keys(inputs).forEach(function (field) {
          showError(field, null);
        });
        reportChange();
        break;
      case "submit":
        var invalid = config ? validateAll() : cardError("element_not_ready", "The payment form is still loading.");
        reply(data.requestId, invalid ? { error: invalid } : { selectedPaymentMethod: "card" });
        break;
      case "confirm":
        if (!config) {
          reply(data.requestId, { error: cardError("element_not_ready", "The payment form is still loading.") });
        } else {
          confirm(data);
        }
        break;
      default:
        break;
    }
  });

  if (window.ResizeObserver) {
    new ResizeObserver(reportSize).observe(document.body);
  }

  if (!parentOrigin || !frameId) {
    formError.textContent = "This payment form must be opened by Stripe.js from the shop's page.";
    return;
  }
  post("frame-loaded");
  reportSize();
})();
