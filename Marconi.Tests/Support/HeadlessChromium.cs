using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Marconi.Tests.Support;

/// <summary>
/// Debian's headless Chromium and its driver, opened by path so that Selenium Manager downloads
/// nothing, and the dashboard's log-in form; shared by the dashboard's browser tests and the
/// dashboard bench (which links this file).
/// </summary>
internal static class HeadlessChromium
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    /// <summary>Why the browser cannot be opened here, or null when it can.</summary>
    public static string? Missing =>
        !File.Exists(Chromium) ? $"{Chromium} is missing (Debian package chromium; .ci/run installs it)"
        : !File.Exists(ChromeDriver) ? $"{ChromeDriver} is missing (Debian package chromium-driver; .ci/run installs it)"
        : null;

    /// <summary>A new browser; <paramref name="userDataDirectory"/> lets its caller find its processes.</summary>
    public static ChromeDriver Open(string? userDataDirectory = null)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        // No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1024,900");
        if (userDataDirectory is not null)
        {
            options.AddArgument($"--user-data-dir={userDataDirectory}");
        }

        return new ChromeDriver(service, options, TimeSpan.FromSeconds(30));
    }

    public static void LogIn(IWebDriver browser, string key, string project)
    {
        var form = Wait(browser).Until(b => b.FindElement(By.Id("login")) is { Displayed: true } f ? f : null);
        form.FindElement(By.Id("key")).SendKeys(key);
        var field = form.FindElement(By.Id("project"));
        field.Clear();
        field.SendKeys(project);
        form.FindElement(By.CssSelector("button[type='submit']")).Click();
    }

    public static IWebElement Displayed(IWebDriver browser, string selector, int seconds = 10) =>
        Wait(browser, seconds).Until(b => b.FindElements(By.CssSelector(selector)).FirstOrDefault(e => e.Displayed));

    /// <summary>Polling every 3 s means a change shows within one or two refreshes.</summary>
    public static WebDriverWait Wait(IWebDriver browser, int seconds = 10)
    {
        var wait = new WebDriverWait(browser, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        // A refresh may redraw the rows between finding an element and reading it.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        return wait;
    }
}
