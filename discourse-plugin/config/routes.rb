# frozen_string_literal: true

CanvasDiscourseSync::Engine.routes.draw do
  get "/token" => "tokens#show", :defaults => { format: :json }
end

Discourse::Application.routes.draw { mount ::CanvasDiscourseSync::Engine, at: "cds-sync" }
